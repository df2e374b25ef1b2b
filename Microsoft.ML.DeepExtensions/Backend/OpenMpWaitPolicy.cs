namespace Microsoft.ML.DeepExtensions.Backend;

/// <summary>
/// Makes LibTorch's OpenMP worker threads sleep, rather than spin, while they wait for work,
/// unless the user chose otherwise with <c>OMP_WAIT_POLICY</c>.
/// </summary>
/// <remarks>
/// GNU OpenMP spins idle workers by default. When the cores are shared (another process, a
/// second test host, ML.NET's own threads feeding the data) spinning workers steal the time the
/// busy ones need: on a 2-core machine one small MLP training run took 26 s instead of 1.8 s.
/// libgomp reads the variable once, when it is loaded, so it is set in the native environment
/// before any LibTorch library is.
/// </remarks>
internal static class OpenMpWaitPolicy
{
    public static void PreferPassive() => NativeEnvironment.SetUnlessSet("OMP_WAIT_POLICY", "PASSIVE");
}
