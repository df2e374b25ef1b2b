using Microsoft.ML.DeepExtensions.Backend;

namespace Microsoft.ML.DeepExtensions.Tests.Backend;

[TestClass]
public sealed class LibTorchFolderTests
{
    private const string Origin = "DEEPEXT_LIBTORCH_DIR";

    [TestMethod]
    public void PyTorchInstallOfAnotherVersionIsRefused()
    {
        using var temp = new BackendTestFiles.TempFolder();
        var lib = temp.FakeLibraries("torch/lib", "c10", "torch_cpu", "torch", "c10_cuda", "torch_cuda");
        temp.Write("torch/version.py", "__version__ = '2.5.1+cu124'\ndebug = False\ncuda = '12.4'\n");

        var e = Assert.ThrowsExactly<TorchBackendException>(() => LibTorchFolder.Inspect(lib, Origin, "2.10"));
        StringAssert.Contains(e.Message, Origin);
        StringAssert.Contains(e.Message, lib);
        StringAssert.Contains(e.Message, "LibTorch 2.5.1+cu124");
        StringAssert.Contains(e.Message, "version.py");
        StringAssert.Contains(e.Message, "built against LibTorch 2.10.x");
        StringAssert.Contains(e.Message, "1,150");
    }

    [TestMethod]
    public void LibTorchDistributionRootOfAnotherVersionIsRefused()
    {
        using var temp = new BackendTestFiles.TempFolder();
        temp.FakeLibraries("libtorch/lib", "c10", "torch_cpu", "torch");
        temp.Write("libtorch/build-version", "2.4.0+cpu\n");

        var e = Assert.ThrowsExactly<TorchBackendException>(() => LibTorchFolder.Inspect(Path.Combine(temp.Path, "libtorch"), Origin, "2.10"));
        StringAssert.Contains(e.Message, "LibTorch 2.4.0+cpu");
        StringAssert.Contains(e.Message, "build-version");
    }

    [TestMethod]
    public void EnsureStartedRefusesAWrongVersionFolderWithoutLoadingIt()
    {
        // Refused whether or not TorchSharp has started already: the folder is checked first.
        using var temp = new BackendTestFiles.TempFolder();
        var lib = temp.FakeLibraries("torch/lib", "c10", "torch_cpu", "torch");
        temp.Write("torch/version.py", "__version__ = '1.13.1'\n");

        var e = Assert.ThrowsExactly<TorchBackendException>(() => TorchBackend.EnsureStarted(lib));
        StringAssert.Contains(e.Message, "LibTorch 1.13.1");
        StringAssert.Contains(e.Message, "LibTorchDirectory (given to TorchBackend.EnsureStarted)");
    }

    /// <summary>The LibTorch 2.10 libraries TorchSharp-cpu put beside the tests.</summary>
    private static string OutputLibTorch => Path.GetDirectoryName(BackendTestFiles.OutputGlue)!;

    private static string LinkedLibTorch(BackendTestFiles.TempFolder temp, string version, string torchCpuTarget = "torch_cpu")
    {
        var lib = Path.Combine(temp.Path, "torch", "lib");
        Directory.CreateDirectory(lib);
        foreach (var (name, target) in new[] { ("c10", "c10"), ("torch_cpu", torchCpuTarget), ("torch", "torch") })
            File.CreateSymbolicLink(Path.Combine(lib, NativeLoader.FileName(name)), Path.Combine(OutputLibTorch, NativeLoader.FileName(target)));
        temp.Write("torch/version.py", $"__version__ = '{version}'\n");
        return lib;
    }

    [TestMethod]
    public void TheGluesLibTorchExportsEverySymbolItImports()
    {
        BackendTestFiles.RequireLinuxX64();
        var missing = LibTorchFolder.MissingImports(BackendTestFiles.OutputGlue, OutputLibTorch, withCuda: false);
        Assert.AreEqual(0, missing.Count, string.Join(", ", missing.Take(5)));
    }

    [TestMethod]
    public void AnotherVersionThatExportsEveryImportIsAccepted()
    {
        BackendTestFiles.RequireLinuxX64();
        using var temp = new BackendTestFiles.TempFolder();
        var lib = LinkedLibTorch(temp, "2.11.0+cu130");

        var folder = LibTorchFolder.Inspect(lib, Origin, "2.10", BackendTestFiles.OutputGlue);
        Assert.AreEqual("2.11.0+cu130", folder.Version);
    }

    [TestMethod]
    public void AnotherVersionMissingImportsIsRefusedNamingSome()
    {
        BackendTestFiles.RequireLinuxX64();
        using var temp = new BackendTestFiles.TempFolder();
        var lib = LinkedLibTorch(temp, "2.11.0", torchCpuTarget: "c10"); // a "torch_cpu" that exports only c10's symbols

        var e = Assert.ThrowsExactly<TorchBackendException>(() => LibTorchFolder.Inspect(lib, Origin, "2.10", BackendTestFiles.OutputGlue));
        StringAssert.Contains(e.Message, "LibTorch 2.11.0");
        StringAssert.Contains(e.Message, "of the LibTorch C++ symbols its native glue imports are not exported there, e.g. _ZN");
    }

    [TestMethod]
    [DataRow("_ZN2at6Tensor4sizeEl", true)]
    [DataRow("_ZNK3c1010TensorImpl5sizesEv", true)]
    [DataRow("_ZN3c10lsERSoRKNS_6IValueE", true)]
    [DataRow("_ZN5torch3jit6Module4saveERKSs", true)]
    [DataRow("_ZN6caffe28TypeMeta13typeMetaDatasEv", true)]
    [DataRow("_ZTIN3c109ErrorE", true)]
    [DataRow("_ZNSo3putEc", false)]
    [DataRow("malloc", false)]
    [DataRow("_ZTH14torch_last_err", false)]
    public void LibTorchSymbolsAreRecognisedByTheirNamespace(string name, bool expected) =>
        Assert.AreEqual(expected, LibTorchFolder.IsLibTorchSymbol(name));

    [TestMethod]
    public void MissingLibrariesAreListed()
    {
        using var temp = new BackendTestFiles.TempFolder();
        var lib = temp.FakeLibraries("lib", "c10");

        var e = Assert.ThrowsExactly<TorchBackendException>(() => LibTorchFolder.Inspect(lib, Origin, "2.10"));
        StringAssert.Contains(e.Message, "not a LibTorch folder");
        StringAssert.Contains(e.Message, $"lacks {NativeLoader.FileName("torch_cpu")}, {NativeLoader.FileName("torch")}");
        StringAssert.Contains(e.Message, "torch/lib");
    }

    [TestMethod]
    public void MissingFolderIsRefused()
    {
        var missing = Path.Combine(Path.GetTempPath(), "deepext-no-such-folder-" + Guid.NewGuid().ToString("N"));
        var e = Assert.ThrowsExactly<TorchBackendException>(() => LibTorchFolder.Inspect(missing, Origin, "2.10"));
        StringAssert.Contains(e.Message, "does not exist");
        StringAssert.Contains(e.Message, missing);

        e = Assert.ThrowsExactly<TorchBackendException>(() => LibTorchFolder.Inspect(" ", Origin, "2.10"));
        StringAssert.Contains(e.Message, "is empty");
    }

    [TestMethod]
    public void IncompleteCudaLibrariesAreRefused()
    {
        using var temp = new BackendTestFiles.TempFolder();
        var lib = temp.FakeLibraries("lib", "c10", "torch_cpu", "torch", "torch_cuda");

        var e = Assert.ThrowsExactly<TorchBackendException>(() => LibTorchFolder.Inspect(lib, Origin, "2.10"));
        StringAssert.Contains(e.Message, "CUDA libraries are incomplete");
        StringAssert.Contains(e.Message, NativeLoader.FileName("c10_cuda"));
    }

    [TestMethod]
    public void MatchingCudaFolderLoadsInDependencyOrder()
    {
        using var temp = new BackendTestFiles.TempFolder();
        var lib = temp.FakeLibraries("torch/lib", "c10", "torch_cpu", "torch", "c10_cuda", "torch_cuda");
        temp.Write("torch/version.py", "__version__ = '2.10.0+cu128'\n");

        var folder = LibTorchFolder.Inspect(Path.Combine(temp.Path, "torch"), Origin, "2.10"); // torch/ is accepted for torch/lib
        Assert.AreEqual(lib, folder.Directory);
        Assert.AreEqual("2.10.0+cu128", folder.Version);
        Assert.IsTrue(folder.HasCuda);
        CollectionAssert.AreEqual(
            new[] { "c10", "torch_cpu", "c10_cuda", "torch_cuda", "torch" }.Select(n => Path.Combine(lib, NativeLoader.FileName(n))).ToArray(),
            folder.LoadOrder.ToArray());
    }

    [TestMethod]
    public void FolderWithoutVersionFileIsAccepted()
    {
        using var temp = new BackendTestFiles.TempFolder();
        var lib = temp.FakeLibraries("native", "c10", "torch_cpu", "torch");

        var folder = LibTorchFolder.Inspect(lib, Origin, "2.10");
        Assert.IsNull(folder.Version);
        Assert.IsFalse(folder.HasCuda);
        Assert.AreEqual(3, folder.LoadOrder.Count);
    }

    [TestMethod]
    [DataRow("2.10.0+cu128", "2.10")]
    [DataRow("2.10.0.0", "2.10")]
    [DataRow("v2.9.1", "2.9")]
    [DataRow("1.13.0a0", "1.13")]
    public void MajorMinorReadsTheLeadingVersion(string version, string expected) =>
        Assert.AreEqual(expected, LibTorchFolder.MajorMinor(version));
}
