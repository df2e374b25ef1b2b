using Microsoft.ML.DeepExtensions.Backend;

namespace Microsoft.ML.DeepExtensions.Tests.Backend;

/// <summary>
/// The build fix (build/TorchSharpNativeFix.targets) ran on this test project's output: without it
/// TorchSharp cannot start on Debian 12.
/// </summary>
[TestClass]
public sealed class TorchSharpNativeFixTests
{
    [TestMethod]
    public void OutputCopyHasTheMissingGlibcxxVersionMarkedWeak()
    {
        BackendTestFiles.RequireLinuxX64();
        var needs = ElfReader.ReadVersionNeeds(BackendTestFiles.OutputGlue);
        if (BackendTestFiles.SystemProvidesPatchedVersion)
        {
            Assert.IsFalse(needs.Any(n => n.IsWeak), "Where libstdc++ provides every version, the build fix must leave the library as shipped.");
            return;
        }

        var entry = needs.Single(n => n.Version == BackendTestFiles.PatchedVersion);
        Assert.AreEqual("libstdc++.so.6", entry.Library);
        Assert.IsTrue(entry.IsWeak, $"{BackendTestFiles.OutputGlue} still requires {BackendTestFiles.PatchedVersion}: the build fix did not run.");
        CollectionAssert.AreEqual(new[] { BackendTestFiles.PatchedVersion }, needs.Where(n => n.IsWeak).Select(n => n.Version).ToArray(),
            "The fix must weaken only the version the system lacks.");
    }

    [TestMethod]
    public void NuGetCacheCopyIsLeftAsShipped()
    {
        BackendTestFiles.RequireLinuxX64();
        var original = BackendTestFiles.NuGetCacheGlue ?? throw new AssertFailedException("Precondition: TorchSharp's package must be in the NuGet cache (it is after any restore).");

        var entry = ElfReader.ReadVersionNeeds(original).Single(n => n.Version == BackendTestFiles.PatchedVersion);

        Assert.IsFalse(entry.IsWeak, "The build fix must patch the output copy, never the NuGet cache.");
        Assert.IsFalse(NativeLoader.SameFile(original, BackendTestFiles.OutputGlue));
    }
}
