using Microsoft.ML.DeepExtensions.Backend;

namespace Microsoft.ML.DeepExtensions.Tests.Backend;

/// <summary>Each loader refusal becomes a message that names the library, the reason and the fix.</summary>
[TestClass]
public sealed class StartupDiagnosisTests
{
    private const string Glue = "/app/runtimes/linux-x64/native/libLibTorchSharp.so";

    [TestMethod]
    public void MissingLibTorchAsksForTorchSharpCpu()
    {
        var message = StartupDiagnosis.Explain(Glue, "libtorch.so: cannot open shared object file: No such file or directory", folder: null);
        StringAssert.Contains(message, "libLibTorchSharp.so needs LibTorch (libtorch.so)");
        StringAssert.Contains(message, "Reference the TorchSharp-cpu package");
        StringAssert.Contains(message, TorchBackend.LibTorchDirectoryVariable);
    }

    [TestMethod]
    public void UndefinedSymbolNamesTheVersionMismatch()
    {
        using var temp = new BackendTestFiles.TempFolder();
        var folder = LibTorchFolder.Inspect(temp.FakeLibraries("lib", "c10", "torch_cpu", "torch"), "DEEPEXT_LIBTORCH_DIR", "2.10");
        var message = StartupDiagnosis.Explain(Glue, $"{Glue}: undefined symbol: _ZN2at4_ops3add4callERKNS_6TensorE", folder);
        StringAssert.Contains(message, "undefined symbol _ZN2at4_ops3add4callERKNS_6TensorE");
        StringAssert.Contains(message, folder.Directory);
        StringAssert.Contains(message, $"{TorchBackend.ExpectedLibTorchVersion}.x");
    }

    [TestMethod]
    public void SystemLibTorchOfAnotherVersionIsBlamedWhenTheAppShipsNone()
    {
        // Debian's libtorch-dev puts LibTorch 1.13 on the library path: an app without TorchSharp-cpu binds to it and fails.
        var message = StartupDiagnosis.Explain(Glue, $"{Glue}: undefined symbol: _ZNK3c105Error4whatEv", folder: null, appShipsLibTorch: false);
        StringAssert.Contains(message, "system's library path (this app ships none)");
        StringAssert.Contains(message, "Reference the TorchSharp-cpu package");
        StringAssert.Contains(message, TorchBackend.LibTorchDirectoryVariable);
    }

    [TestMethod]
    public void CudaLibraryThatFailsIsNamedWithTheLoaderText()
    {
        const string cuda = "/opt/venv/lib/python3.12/site-packages/torch/lib/libtorch_cuda.so";
        var message = StartupDiagnosis.Explain(cuda, "libcudart.so.12: cannot open shared object file: No such file or directory", folder: null);
        StringAssert.Contains(message, cuda);
        StringAssert.Contains(message, "libcudart.so.12");
        StringAssert.Contains(message, "cannot open shared object file");
        StringAssert.Contains(message, "NVIDIA driver");
        StringAssert.Contains(message, "ComputeDevice.Cpu");

        message = StartupDiagnosis.Explain(cuda, $"{cuda}: file too short", folder: null);
        StringAssert.Contains(message, cuda);
        StringAssert.Contains(message, "file too short");
    }

    [TestMethod]
    public void GlibcxxRefusalOfAnUnpatchedCopyAsksForTheBuildTargets()
    {
        BackendTestFiles.RequireLinuxX64();
        var original = BackendTestFiles.NuGetCacheGlue ?? throw new AssertFailedException("Precondition: TorchSharp's package must be in the NuGet cache (it is after any restore).");
        if (BackendTestFiles.SystemProvidesPatchedVersion)
            Assert.Fail($"Precondition: this test needs Debian 12's libstdc++, which lacks {BackendTestFiles.PatchedVersion}; this system provides it.");
        var libStdCxx = BackendTestFiles.SystemLibStdCxx;

        var message = StartupDiagnosis.Explain(Glue, $"{libStdCxx}: version `GLIBCXX_3.4.32' not found (required by {original})", folder: null);

        StringAssert.Contains(message, original);
        StringAssert.Contains(message, "requires GLIBCXX_3.4.32");
        StringAssert.Contains(message, "stops at GLIBCXX_3.4.");
        StringAssert.Contains(message, "built without DeepExtensions' build targets");
        StringAssert.Contains(message, "install a libstdc++ that provides GLIBCXX_3.4.32");
    }

    [TestMethod]
    public void GlibcxxRefusalOfAPatchedCopyDoesNotBlameTheBuild()
    {
        BackendTestFiles.RequireLinuxX64();
        if (BackendTestFiles.SystemProvidesPatchedVersion)
            Assert.Fail($"Precondition: this test needs Debian 12's libstdc++, which lacks {BackendTestFiles.PatchedVersion}; this system provides it.");
        var glue = BackendTestFiles.OutputGlue;

        var message = StartupDiagnosis.Explain(glue, $"{BackendTestFiles.SystemLibStdCxx}: version `GLIBCXX_3.4.32' not found (required by {glue})", folder: null);

        Assert.IsFalse(message.Contains("built without", StringComparison.Ordinal), message);
        StringAssert.Contains(message, "install a libstdc++ that provides GLIBCXX_3.4.32");
    }

    [TestMethod]
    public void GlibcxxRefusalOfALibTorchLibraryDoesNotPointAtTheBuildFix()
    {
        BackendTestFiles.RequireLinuxX64();
        var original = BackendTestFiles.NuGetCacheGlue ?? throw new AssertFailedException("Precondition: TorchSharp's package must be in the NuGet cache (it is after any restore).");
        if (BackendTestFiles.SystemProvidesPatchedVersion)
            Assert.Fail($"Precondition: this test needs Debian 12's libstdc++, which lacks {BackendTestFiles.PatchedVersion}; this system provides it.");
        // Stand-in for a PyTorch wheel's libtorch_cpu.so built with a newer GCC: the same requirement, another library.
        using var temp = new BackendTestFiles.TempFolder();
        var wheelLibrary = Path.Combine(temp.Path, "libtorch_cpu.so");
        File.Copy(original, wheelLibrary);

        var message = StartupDiagnosis.Explain(wheelLibrary, $"{BackendTestFiles.SystemLibStdCxx}: version `GLIBCXX_3.4.32' not found (required by {wheelLibrary})", folder: null);

        StringAssert.Contains(message, "built for a newer Linux");
        StringAssert.Contains(message, "install a libstdc++ that provides GLIBCXX_3.4.32");
        Assert.IsFalse(message.Contains("build targets", StringComparison.Ordinal), message);
    }

    [TestMethod]
    public void AnyOtherRefusalKeepsTheLoaderText()
    {
        var message = StartupDiagnosis.Explain(Glue, $"{Glue}: invalid ELF header", folder: null);
        StringAssert.Contains(message, Glue);
        StringAssert.Contains(message, "invalid ELF header");
    }
}
