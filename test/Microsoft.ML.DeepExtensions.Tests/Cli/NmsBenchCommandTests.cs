namespace Microsoft.ML.DeepExtensions.Tests.Cli;

[TestClass]
public sealed class NmsBenchCommandTests
{
    [TestMethod]
    public void BenchNms_AgreesWithTheItemLoop_AndPrintsJsonLast()
    {
        var result = CliRunner.Run("bench", "nms", "--boxes", "300", "--repeats", "1");

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var json = result.Metrics;
        Assert.AreEqual("nms", json.GetProperty("Benchmark").GetString());
        Assert.AreEqual(300, json.GetProperty("Boxes").GetInt32());
        Assert.IsTrue(json.GetProperty("Kept").GetInt32() is > 0 and < 300, result.Stdout);
    }

    [TestMethod]
    public void BenchNms_BadOptionsAreUsageErrors()
    {
        var result = CliRunner.Run("bench", "nms", "--boxes", "0");

        Assert.AreEqual(2, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stderr, "--boxes must be a positive integer, got '0'");
    }
}
