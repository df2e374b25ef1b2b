namespace Microsoft.ML.DeepExtensions.Tests.Cli;

[TestClass]
public sealed class MaskHeadBenchCommandTests
{
    [TestMethod]
    public void BenchMaskHead_TimesBothPasses_AndPrintsJsonLast()
    {
        var result = CliRunner.Run("bench", "mask-head", "--rois", "2", "--part", "conv", "--repeats", "1");

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var json = result.Metrics;
        Assert.AreEqual("mask-head", json.GetProperty("Benchmark").GetString());
        Assert.AreEqual("conv", json.GetProperty("Part").GetString());
        Assert.AreEqual(2, json.GetProperty("Rois").GetInt32());
        Assert.IsTrue(json.GetProperty("ForwardMs").GetDouble() > 0 && json.GetProperty("ForwardBackwardMs").GetDouble() > 0, result.Stdout);
    }

    [TestMethod]
    public void BenchMaskHead_BadPartIsAUsageError()
    {
        var result = CliRunner.Run("bench", "mask-head", "--part", "heads");

        Assert.AreEqual(2, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stderr, "--part must be all, conv or deconv, got 'heads'");
    }
}
