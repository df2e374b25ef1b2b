using Microsoft.ML.DeepExtensions.Backend;

namespace Microsoft.ML.DeepExtensions.Tests.Backend;

[TestClass]
public sealed class MallocTuningTests
{
    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [TestMethod]
    public void TheBackendRaisesGlibcsThresholds_UnlessTheUserSetThem()
    {
        TorchBackend.EnsureStarted();
        bool expected = OperatingSystem.IsLinux() && MallocTuning.ShouldApply(System.Environment.GetEnvironmentVariable);
        Assert.AreEqual(expected, MallocTuning.Applied, "mallopt(M_MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD) at start");
    }

    [TestMethod]
    public void ShouldApply_LeavesTheUsersChoiceAlone()
    {
        Assert.IsTrue(MallocTuning.ShouldApply(Environment()));
        Assert.IsTrue(MallocTuning.ShouldApply(Environment(("DEEPEXT_MALLOC_TUNING", "1"), ("GLIBC_TUNABLES", "glibc.pthread.rseq=0"))));
        Assert.IsFalse(MallocTuning.ShouldApply(Environment(("DEEPEXT_MALLOC_TUNING", " 0 "))), "opted out");
        Assert.IsFalse(MallocTuning.ShouldApply(Environment(("GLIBC_TUNABLES", "glibc.malloc.arena_max=2"))), "glibc tunables for malloc");
        Assert.IsFalse(MallocTuning.ShouldApply(Environment(("MALLOC_MMAP_THRESHOLD_", "131072"))));
        Assert.IsFalse(MallocTuning.ShouldApply(Environment(("MALLOC_TRIM_THRESHOLD_", "131072"))));
    }
}
