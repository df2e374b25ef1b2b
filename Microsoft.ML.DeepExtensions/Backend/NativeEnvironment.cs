using System.Runtime.InteropServices;

namespace Microsoft.ML.DeepExtensions.Backend;

/// <summary>
/// Sets variables in the process's native environment, where native libraries read them with <c>getenv</c>
/// (.NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/> changes only the managed copy on Linux).
/// </summary>
internal static partial class NativeEnvironment
{
    /// <summary>Sets <paramref name="name"/> unless the user (or a host process) already did.</summary>
    public static void SetUnlessSet(string name, string value)
    {
        if (!OperatingSystem.IsLinux() || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
            return;
        // overwrite: 0 keeps a value set natively by a host process.
        _ = SetEnvironment(name, value, 0);
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvironment(string name, string value, int overwrite);
}
