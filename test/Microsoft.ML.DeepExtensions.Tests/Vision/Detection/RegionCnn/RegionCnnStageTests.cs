using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.RegionCnn;

/// <summary>
/// The rules of R-CNN's stages, each alone on small hand-made inputs: the IoU labelling thresholds, the region warp, the
/// fine-tuning batches' share of object regions, hard-negative mining, the hinge-loss SVMs and the ridge box regression.
/// </summary>
[TestClass]
public sealed class RegionCnnStageTests
{
    [ClassInitialize]
    public static void Start(TestContext context) => TorchBackend.EnsureStarted();

    [TestMethod]
    public void RegionsAreLabelledWithThePapersThresholds()
    {
        // One object of class 1 (of 2) at [0, 0, 10, 10]; proposals at IoU 10/11, 100/190, 100/210 and 0 with it.
        var labelling = new RegionLabelling(classCount: 2, fineTuneIou: 0.5, regressionIou: 0.6);
        var proposals = new float[] { 0, 0, 10, 11, 0, 0, 10, 19, 0, 0, 10, 21, 20, 20, 30, 30 };
        var regions = labelling.Label(7, new float[] { 0, 0, 10, 10 }, new[] { 1 }, proposals);

        Assert.AreEqual(7, regions.ImageIndex);
        Assert.AreEqual(5, regions.Count);
        Assert.AreEqual(1, regions.GroundTruthCount);
        CollectionAssert.AreEqual(new[] { 2, 2, 2, 0, 0 }, regions.FineTuneLabels, "fine-tuning: IoU >= 0.5 is the object's class + 1, the rest background");
        CollectionAssert.AreEqual(new[] { 0, 0, -1, -1, -1 }, regions.RegressionTargets, "box regression: IoU >= 0.6 moves onto the object");
        var expected = new[] { 1f, 10f / 11, 100f / 190, 100f / 210, 0f };
        for (int r = 0; r < 5; r++)
        {
            Assert.AreEqual(0f, regions.ClassOverlaps[2 * r], $"region {r}: no object of class 0");
            Assert.AreEqual(expected[r], regions.ClassOverlaps[2 * r + 1], 1e-6f, $"region {r}: IoU with the class-1 object");
        }
        Assert.AreEqual(2, regions.OverlappingProposals);

        var empty = labelling.Label(0, Array.Empty<float>(), Array.Empty<int>(), proposals);
        CollectionAssert.AreEqual(new[] { 0, 0, 0, 0 }, empty.FineTuneLabels, "an image without objects is all background");
        CollectionAssert.AreEqual(new[] { -1, -1, -1, -1 }, empty.RegressionTargets);
    }

    [TestMethod]
    public void TheWarpAddsThePapersContextAndFillsOutsideTheImageWithGrey()
    {
        var warp = new RegionWarp(32, 2);
        using var scope = torch.NewDisposeScope();
        var box = torch.tensor(new float[] { 10, 20, 38, 48 }, new long[] { 1, 4 });
        // s = 32 / (32 - 2·2): the 28-pixel box grows to 32 pixels, 2 pixels of context each side once warped to 32.
        CollectionAssert.AreEqual(new float[] { 8, 18, 40, 50 }, warp.WithContext(box).data<float>().ToArray());

        var images = torch.full(new long[] { 1, 3, 64, 64 }, 0.25f);
        var inside = warp.Apply(images, torch.zeros(1, ScalarType.Int64), box);
        CollectionAssert.AreEqual(new long[] { 1, 3, 32, 32 }, inside.shape);
        Assert.IsTrue(inside.allclose(torch.full_like(inside, 0.25f), 0, 1e-6), "a region inside a uniform image is that colour");
        var outside = warp.Apply(images, torch.zeros(1, ScalarType.Int64), torch.tensor(new float[] { 200, 200, 230, 230 }, new long[] { 1, 4 }));
        Assert.IsTrue(outside.allclose(torch.full_like(outside, 0.5f), 0, 1e-6), "beyond the image the warp is mid-grey");
    }

    [TestMethod]
    public void FineTuningBatchesHoldAQuarterObjectRegionsAndAnEpochShowsEachOnce()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.zeros(new long[] { 2, 3, 32, 32 }, ScalarType.Byte);
        var labelling = new RegionLabelling(classCount: 1, fineTuneIou: 0.5, regressionIou: 0.6);
        var background = Enumerable.Range(0, 30).SelectMany(i => new float[] { 16, 16, 20 + i % 8, 20 + i % 5 }).ToArray();
        var regions = new[]
        {
            labelling.Label(0, new float[] { 0, 0, 8, 8 }, new[] { 0 }, new float[] { 0, 0, 8, 9, 0, 0, 9, 8 }.Concat(background).ToArray()),
            labelling.Label(1, new float[] { 2, 2, 10, 10 }, new[] { 0 }, new float[] { 2, 2, 10, 11 }.Concat(background).ToArray()),
        };
        foreach (long cacheBytes in new[] { 1L << 20, 0 })
        {
            using var source = new WarpedRegionBatchSource(images, regions, new RegionWarp(8, 0), torch.CPU, positiveFraction: 0.25, seed: 1, cacheBytes);
            Assert.AreEqual(cacheBytes > 0, source.IsPrewarped, "warped once when the regions fit the cache, else per batch");
            Assert.AreEqual(5, source.PositiveCount, "two ground-truth boxes and three proposals at IoU >= 0.5");
            Assert.AreEqual(20, source.RowCount, "an epoch: every object region and three background regions for each");
            long positives = 0, rows = 0;
            foreach (var batch in source.Batches(8, new Random(1), CancellationToken.None))
            {
                long batchPositives = (batch.Targets > 0).sum().item<long>();
                Assert.AreEqual(batch.Rows / 4, batchPositives, "a quarter of each batch are object regions");
                CollectionAssert.AreEqual(new long[] { batch.Rows, 3, 8, 8 }, batch.Features.shape);
                positives += batchPositives;
                rows += batch.Rows;
            }
            Assert.AreEqual(5, positives);
            Assert.AreEqual(20, rows);
        }
    }

    [TestMethod]
    public void HardNegativeMiningPicksTheHighestScoringUnseenNegativesInsideTheMargin()
    {
        using var scope = torch.NewDisposeScope();
        var scores = torch.tensor(new float[] { -2f, 0.5f, -0.5f, 3f, 1f, -1f, -0.9f });
        var candidates = torch.tensor(new[] { true, true, true, false, true, true, true });
        CollectionAssert.AreEqual(new long[] { 4, 1 }, HardNegativeMining.Select(scores, candidates, 2).data<long>().ToArray(),
            "the two highest-scoring candidates; region 3 scores highest but is not a candidate (already seen)");
        CollectionAssert.AreEqual(new long[] { 4, 1, 2, 6 }, HardNegativeMining.Select(scores, candidates, 10).data<long>().ToArray(),
            "only negatives above the margin -1, best first");
        Assert.AreEqual(0, HardNegativeMining.Select(torch.tensor(new float[] { -3f, -1.5f }), torch.tensor(new[] { true, true }), 5).shape[0]);
    }

    [TestMethod]
    public void TheHingeSvmsSeparateSeparableClasses()
    {
        // Class 0 around (3, 3), class 1 around (-3, 3), background around (0, -3): each class separable from the rest.
        var random = new Random(4);
        var features = new List<float>();
        var truth = new List<long>();
        var overlaps = new List<float>();
        foreach (var (cx, cy, label, count) in new[] { (3f, 3f, 0L, 20), (-3f, 3f, 1L, 20), (0f, -3f, -1L, 200) })
        {
            for (int i = 0; i < count; i++)
            {
                features.Add(cx + (float)(random.NextDouble() - 0.5));
                features.Add(cy + (float)(random.NextDouble() - 0.5));
                truth.Add(label);
                overlaps.Add(label == 0 ? 1 : 0);
                overlaps.Add(label == 1 ? 1 : 0);
            }
        }
        int n = truth.Count;
        using var cache = new RegionFeatureCache(torch.tensor(features.ToArray(), new long[] { n, 2 }), torch.zeros(n, 4), torch.tensor(overlaps.ToArray(), new long[] { n, 2 }),
            torch.tensor(truth.ToArray()), torch.zeros(n, 4), torch.full(n, -1L), 0);
        var options = new RegionCnnTrainer.Options { SvmEpochs = 60, HardNegativeRounds = 2, NegativesPerRound = 50, SvmRegularization = 1e-3f };
        using var channel = ((IHostEnvironment)new MLContext(seed: 1)).Register("test").Start("test");
        torch.manual_seed(1);
        var svms = RegionSvmTraining.Train(cache, 2, options, seed: 1, channel);

        using var scope = torch.NewDisposeScope();
        var scores = cache.Features.matmul(torch.tensor(svms.Weights, new long[] { 2, 2 }).t()) + torch.tensor(svms.Biases);
        for (int c = 0; c < 2; c++)
        {
            var isClass = cache.TruthClasses == c;
            var classScores = scores[.., c];
            Assert.IsTrue(classScores.masked_select(isClass).min().item<float>() > 0, $"class {c}: every positive scores above 0");
            Assert.IsTrue(classScores.masked_select(isClass.logical_not()).max().item<float>() < 0, $"class {c}: every negative scores below 0");
        }
    }

    [TestMethod]
    public void BoxRegressionLearnsTheBoxCoderOffsets()
    {
        // Features that hold the offsets themselves: a (nearly) unpenalized ridge learns the identity and moves each region onto its box.
        using var scope = torch.NewDisposeScope();
        var generator = new Generator(5);
        var proposals = torch.rand(new long[] { 40, 2 }, generator: generator) * 50;
        var sizes = torch.rand(new long[] { 40, 2 }, generator: generator) * 30 + 10;
        var regions = torch.cat(new[] { proposals, proposals + sizes }, 1);
        var targets = regions + (torch.rand(new long[] { 40, 4 }, generator: generator) - 0.5) * 6;
        var coder = new BoxCoder();
        var features = coder.Encode(targets, regions);
        var classes = torch.tensor(Enumerable.Range(0, 40).Select(i => i < 30 ? 1L : -1L).ToArray());
        var regressor = RidgeBoxRegressor.Fit(features, regions, targets, classes, classCount: 2, ridge: 1e-6, out var pairs);
        CollectionAssert.AreEqual(new[] { 0, 30 }, pairs, "class 1's 30 regions take part; class 0 has none");

        var moved = regressor.Apply(features, regions);
        CollectionAssert.AreEqual(new long[] { 40, 2, 4 }, moved.shape);
        Assert.IsTrue(moved[.., 1].allclose(targets, 0, 1e-3), "class 1 moves every region onto its target box");
        Assert.IsTrue(moved[.., 0].allclose(regions, 0, 1e-4), "a class without training regions keeps the boxes");
    }
}
