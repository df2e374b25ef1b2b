namespace Microsoft.ML.DeepExtensions.Tests.Cli;

[TestClass]
public sealed class RoIAlignBenchCommandTests
{
    [TestMethod]
    public void BenchRoIAlign_AgreesWithThePerBoxLoop_AndPrintsJsonLast()
    {
        var result = CliRunner.Run("bench", "roi-align", "--rois", "24", "--channels", "8", "--map-size", "12", "--repeats", "1");

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var json = result.Metrics;
        Assert.AreEqual("roi-align", json.GetProperty("Benchmark").GetString());
        Assert.AreEqual(24, json.GetProperty("Rois").GetInt32());
        Assert.IsTrue(json.GetProperty("ForwardMs").GetDouble() > 0 && json.GetProperty("ForwardBackwardPerBoxMs").GetDouble() > 0, result.Stdout);
        StringAssert.Contains(result.Stdout, "forward+backward");
    }

    [TestMethod]
    public void BenchRoIAlign_BadOptionsAreUsageErrors()
    {
        var result = CliRunner.Run("bench", "roi-align", "--sampling", "-1");

        Assert.AreEqual(2, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stderr, "--sampling must be a positive integer, got '-1'");
    }
}
