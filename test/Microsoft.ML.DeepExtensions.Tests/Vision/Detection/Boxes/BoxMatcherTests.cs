using System.Text.Json;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Boxes;

/// <summary>
/// <see cref="BoxMatcher"/> against torchvision 0.14's <c>Matcher</c> (the "matcher" cases of
/// TwoStage/faster_rcnn_golden.json, written by TwoStage/generate_faster_rcnn_golden.py) and <see cref="BalancedSampler"/>'s rules.
/// </summary>
[TestClass]
public sealed class BoxMatcherTests
{
    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    [TestMethod]
    public void Match_MatchesTorchvision_WithAndWithoutLowQualityMatches()
    {
        var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vision", "Detection", "TwoStage", "faster_rcnn_golden.json"))).RootElement;
        int cases = 0;
        foreach (var c in root.GetProperty("matcher").EnumerateArray())
        {
            using var scope = torch.NewDisposeScope();
            var shape = c.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var quality = torch.tensor(c.GetProperty("quality").EnumerateArray().Select(e => e.GetSingle()).ToArray()).reshape(shape);
            var matcher = new BoxMatcher(c.GetProperty("high").GetDouble(), c.GetProperty("low").GetDouble(), c.GetProperty("allow_low_quality").GetBoolean());
            var expected = c.GetProperty("matches").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            CollectionAssert.AreEqual(expected, matcher.Match(quality).data<long>().ToArray(), $"case {cases}: {shape[0]}x{shape[1]}, high {matcher.HighThreshold}, low {matcher.LowThreshold}, low-quality {matcher.AllowLowQualityMatches}");
            cases++;
        }
        Assert.AreEqual(9, cases);
    }

    [TestMethod]
    public void Match_WithoutGroundTruth_IsAllBackground()
    {
        using var scope = torch.NewDisposeScope();
        CollectionAssert.AreEqual(new long[] { -1, -1, -1 }, new BoxMatcher(0.7, 0.3, true).Match(torch.zeros(0, 3)).data<long>().ToArray());
    }

    [TestMethod]
    public void Matcher_RefusesLowAboveHigh() =>
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new BoxMatcher(0.3, 0.7));

    [TestMethod]
    public void Sampler_CapsPositives_FillsWithNegatives_IgnoresNegativeLabels()
    {
        using var scope = torch.NewDisposeScope();
        // 30 positives (classes 1 and 2), 100 negatives, 20 ignored.
        var labels = torch.cat(new[] { torch.full(20, 1L), torch.full(10, 2L), torch.zeros(100, ScalarType.Int64), torch.full(20, -1L) });
        var sampler = new BalancedSampler(64, 0.25);
        var (positive, negative) = sampler.Sample(labels, new Generator(7));
        Assert.AreEqual(16, positive.shape[0], "floor(64 * 0.25) positives");
        Assert.AreEqual(48, negative.shape[0], "the rest negatives");
        Assert.IsTrue(labels.index_select(0, positive).ge(1).all().item<bool>(), "positives have a class");
        Assert.IsTrue(labels.index_select(0, negative).eq(0).all().item<bool>(), "negatives are background");
        Assert.IsTrue((positive.narrow(0, 1, 15) > positive.narrow(0, 0, 15)).all().item<bool>(), "ascending, distinct");

        var (again, _) = sampler.Sample(labels, new Generator(7));
        CollectionAssert.AreEqual(positive.data<long>().ToArray(), again.data<long>().ToArray(), "same seed, same draw");

        var (fewPositive, fewNegative) = new BalancedSampler(512, 0.25).Sample(labels);
        Assert.AreEqual(30, fewPositive.shape[0], "all 30 positives when fewer than the cap");
        Assert.AreEqual(100, fewNegative.shape[0], "all 100 negatives when fewer than asked");
    }
}
