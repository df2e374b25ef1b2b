namespace Microsoft.ML.DeepExtensions.Tests.Cli;

[TestClass]
public sealed class SoakBenchCommandTests
{
    [TestMethod]
    public void BenchSoak_SamplesBothPartsAndPrintsTheCurvesAsJsonLast()
    {
        var result = CliRunner.Run("bench", "soak", "--rows", "30000", "--images", "9", "--samples", "3");

        var json = result.Metrics;
        Assert.AreEqual("soak", json.GetProperty("Benchmark").GetString());
        Assert.IsFalse(json.GetProperty("Settled").GetBoolean());
        var parts = json.GetProperty("Parts").EnumerateArray().ToArray();
        Assert.AreEqual(2, parts.Length, result.Stdout);
        Assert.AreEqual(30000, parts[0].GetProperty("Items").GetInt64());
        Assert.AreEqual(9, parts[1].GetProperty("Items").GetInt64());
        bool allWithin = true;
        foreach (var part in parts)
        {
            var curve = part.GetProperty("CurveMB").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.AreEqual(3, curve.Length, result.Stdout);
            Assert.IsTrue(curve.All(mb => mb > 10), "resident memory is sampled: " + string.Join(", ", curve));
            Assert.AreEqual(curve[0], part.GetProperty("StartMB").GetDouble(), 0.051);
            Assert.AreEqual(curve[^1], part.GetProperty("EndMB").GetDouble(), 0.051);
            double growth = part.GetProperty("Growth").GetDouble();
            Assert.AreEqual((curve[^1] - curve[0]) / curve[0], growth, 1e-3);
            Assert.AreEqual(growth <= 0.05, part.GetProperty("WithinLimit").GetBoolean());
            allWithin &= part.GetProperty("WithinLimit").GetBoolean();
        }
        Assert.AreEqual(allWithin ? 0 : 1, result.ExitCode, result.ToString());
    }

    [TestMethod]
    public void BenchSoak_SegmentationImages_AddsAThirdPart_AndSettleCollectsBeforeEachSample()
    {
        string models = Path.Combine(AppContext.BaseDirectory, "Vision", "Segmentation", "Models");
        var result = CliRunner.Run("bench", "soak", "--rows", "3000", "--images", "3", "--samples", "3", "--segmentation-images", "12",
            "--segmentation-model", Path.Combine(models, "lraspp_tiny.onnx"), "--segmentation-classes", Path.Combine(models, "semantic_classes.txt"), "--settle");

        Assert.IsTrue(result.Metrics.GetProperty("Settled").GetBoolean());
        var parts = result.Metrics.GetProperty("Parts").EnumerateArray().ToArray();
        Assert.AreEqual(3, parts.Length, result.ToString());
        Assert.AreEqual("segmentation (LoadImages + SegmentImages)", parts[2].GetProperty("Part").GetString());
        Assert.AreEqual(12, parts[2].GetProperty("Items").GetInt64());
        Assert.AreEqual(3, parts[2].GetProperty("CurveMB").GetArrayLength());
        StringAssert.Contains(result.Stderr, "pixels labelled");
        Assert.AreEqual(parts.All(p => p.GetProperty("WithinLimit").GetBoolean()) ? 0 : 1, result.ExitCode, result.ToString());
    }

    [TestMethod]
    public void BenchSoak_BadOptionsAreUsageErrors()
    {
        var result = CliRunner.Run("bench", "soak", "--rows", "-5");

        Assert.AreEqual(2, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stderr, "--rows must be a positive integer, got '-5'");

        result = CliRunner.Run("bench", "soak", "--segmentation-images", "0");
        Assert.AreEqual(2, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stderr, "--segmentation-images must be a positive integer, got '0'");
    }
}
