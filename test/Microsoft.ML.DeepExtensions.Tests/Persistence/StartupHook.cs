/// <summary>
/// .NET startup hook of the test assembly, used only by <see cref="Microsoft.ML.DeepExtensions.Tests.Persistence.FreshProcessLoader"/>
/// to run code in a fresh process. The host requires exactly this name, in the global namespace, with a static
/// <c>Initialize</c>. It does nothing unless <c>DOTNET_STARTUP_HOOKS</c> names this assembly and the child request
/// variable is set.
/// </summary>
internal static class StartupHook
{
    public static void Initialize() => Microsoft.ML.DeepExtensions.Tests.Persistence.FreshProcessLoader.RunIfRequested();
}
