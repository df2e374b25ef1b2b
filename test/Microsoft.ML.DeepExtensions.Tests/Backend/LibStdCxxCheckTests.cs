using Microsoft.ML.DeepExtensions.Backend;

namespace Microsoft.ML.DeepExtensions.Tests.Backend;

/// <summary>The GLIBCXX diagnosis as a pure function of two files.</summary>
[TestClass]
public sealed class LibStdCxxCheckTests
{
    [TestMethod]
    public void PatchedOutputCopyIsNotBlocked()
    {
        BackendTestFiles.RequireLinuxX64();
        var report = LibStdCxxCheck.Check(BackendTestFiles.SystemLibStdCxx, BackendTestFiles.OutputGlue);

        if (BackendTestFiles.SystemProvidesPatchedVersion)
        {
            Assert.AreEqual(LibStdCxxStatus.Satisfied, report.Status);
            return;
        }
        Assert.AreEqual(LibStdCxxStatus.PatchedWeak, report.Status);
        CollectionAssert.Contains(report.Missing.ToList(), BackendTestFiles.PatchedVersion);
        Assert.AreEqual(0, report.Blocking.Count);
    }

    [TestMethod]
    public void UnpatchedNuGetCopyIsDiagnosedAsNeedingTheFix()
    {
        BackendTestFiles.RequireLinuxX64();
        var original = BackendTestFiles.NuGetCacheGlue ?? throw new AssertFailedException("Precondition: TorchSharp's package must be in the NuGet cache (it is after any restore).");
        var before = (File.GetLastWriteTimeUtc(original), new FileInfo(original).Length);

        var report = LibStdCxxCheck.Check(BackendTestFiles.SystemLibStdCxx, original);
        if (BackendTestFiles.SystemProvidesPatchedVersion)
        {
            Assert.AreEqual(LibStdCxxStatus.Satisfied, report.Status, "Where libstdc++ provides every version, nothing needs the fix.");
            return;
        }

        Assert.AreEqual(LibStdCxxStatus.NeedsPatch, report.Status);
        CollectionAssert.AreEqual(new[] { BackendTestFiles.PatchedVersion }, report.Blocking.ToArray());
        StringAssert.StartsWith(report.NewestProvided, "GLIBCXX_3.4.");
        Assert.AreEqual(before, (File.GetLastWriteTimeUtc(original), new FileInfo(original).Length), "The NuGet cache must only be read.");
    }

    [TestMethod]
    public void RealLoaderRefusalIsExplainedInPlainWords()
    {
        BackendTestFiles.RequireLinuxX64();
        var original = BackendTestFiles.NuGetCacheGlue ?? throw new AssertFailedException("Precondition: TorchSharp's package must be in the NuGet cache (it is after any restore).");
        if (LibStdCxxCheck.Check(BackendTestFiles.SystemLibStdCxx, original).Status != LibStdCxxStatus.NeedsPatch)
            Assert.Fail("Precondition: this test needs Debian 12's libstdc++, which refuses the unpatched library.");

        // With LibTorch already loaded, the copy's libtorch*.so dependencies resolve (by soname) to the loaded
        // ones, so the loader's only objection is the version; it refuses before running any of the copy's code.
        TorchBackend.EnsureStarted();
        var error = NativeLoader.TryLoad(original);

        Assert.IsNotNull(error);
        StringAssert.Contains(error, BackendTestFiles.PatchedVersion);
        var message = StartupDiagnosis.Explain(original, error, folder: null);
        StringAssert.Contains(message, original);
        StringAssert.Contains(message, $"requires {BackendTestFiles.PatchedVersion}");
        StringAssert.Contains(message, "not marked weak");
        StringAssert.Contains(message, "DeepExtensions' build targets");
        StringAssert.Contains(message, $"install a libstdc++ that provides {BackendTestFiles.PatchedVersion}");
        Assert.IsFalse(message.Contains("libtorch-cpu-linux-x64", StringComparison.Ordinal));
    }

    [TestMethod]
    public void VersionsAreComparedNumerically()
    {
        BackendTestFiles.RequireLinuxX64();
        var report = LibStdCxxCheck.Check(BackendTestFiles.SystemLibStdCxx, BackendTestFiles.OutputGlue);
        var newest = report.NewestProvided!;
        // GLIBCXX_3.4.30 must win over GLIBCXX_3.4.9: a string sort would pick 3.4.9.
        Assert.IsTrue(int.Parse(newest.Split('.').Last()) >= 10, $"Newest provided version read as {newest}.");
    }

    [TestMethod]
    public void MissingFileIsReported()
    {
        var missing = Path.Combine(Path.GetTempPath(), "deepext-missing-" + Guid.NewGuid().ToString("N"));
        Assert.ThrowsExactly<FileNotFoundException>(() => LibStdCxxCheck.Check(missing, missing));
    }
}
