using System.Runtime.InteropServices;

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
/// (.NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not reach it) before
/// any LibTorch library is.
/// </remarks>
internal static partial class OpenMpWaitPolicy
{
    private const string Variable = "OMP_WAIT_POLICY";

    public static void PreferPassive()
    {
        if (!OperatingSystem.IsLinux() || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
            return;
        // overwrite: 0 keeps a value set natively by a host process.
        _ = SetEnvironment(Variable, "PASSIVE", 0);
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvironment(string name, string value, int overwrite);
}
