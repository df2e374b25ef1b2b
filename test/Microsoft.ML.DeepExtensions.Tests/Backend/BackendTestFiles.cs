using System.Reflection;
using Microsoft.ML.DeepExtensions.Backend;
using TorchSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Backend;

/// <summary>Paths and scratch folders shared by the backend tests.</summary>
internal static class BackendTestFiles
{
    public const string PatchedVersion = "GLIBCXX_3.4.32";

    /// <summary>The test output's copy of TorchSharp's glue: the one the build fix patches and this process loads.</summary>
    public static string OutputGlue => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    /// <summary>The system libstdc++ the build fix and the diagnosis compare against.</summary>
    public static string SystemLibStdCxx => LibStdCxxCheck.DefaultLibStdCxxPath;

    /// <summary>
    /// The unpatched original in the NuGet cache. Tests only read it (and let the loader refuse it);
    /// nothing may ever write there.
    /// </summary>
    public static string? NuGetCacheGlue
    {
        get
        {
            var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
            if (string.IsNullOrEmpty(root))
                root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            var version = typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.107.0";
            var path = Path.Combine(root, "torchsharp", version, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
            return File.Exists(path) ? path : null;
        }
    }

    public static void RequireLinuxX64()
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
            Assert.Fail("Precondition: TorchSharp's GLIBCXX requirement and its fix concern linux-x64, the platform this suite runs on.");
        if (!File.Exists(OutputGlue))
            Assert.Fail($"No linux-x64 libLibTorchSharp.so in the test output ({OutputGlue}).");
        if (!File.Exists(SystemLibStdCxx))
            Assert.Fail($"Precondition: no system libstdc++ at {SystemLibStdCxx}.");
    }

    public static bool SystemProvidesPatchedVersion => LibStdCxxCheck.Provides(SystemLibStdCxx, PatchedVersion);

    /// <summary>A fresh empty folder under the temp directory, removed by <see cref="IDisposable.Dispose"/>.</summary>
    public sealed class TempFolder : IDisposable
    {
        public TempFolder()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "deepext-backend-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        /// <summary>Creates <paramref name="relative"/> (and its folders) with <paramref name="text"/>; returns its full path.</summary>
        public string Write(string relative, string text = "")
        {
            var full = System.IO.Path.Combine(Path, relative);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text);
            return full;
        }

        /// <summary>Creates empty stand-ins for LibTorch libraries (by base name) in <paramref name="relativeFolder"/>.</summary>
        public string FakeLibraries(string relativeFolder, params string[] baseNames)
        {
            foreach (var name in baseNames)
                Write(System.IO.Path.Combine(relativeFolder, NativeLoader.FileName(name)));
            return System.IO.Path.Combine(Path, relativeFolder);
        }

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
