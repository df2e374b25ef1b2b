using System.Text.Json;
using Microsoft.ML.DeepExtensions.Vision.Evaluation;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Evaluation;

/// <summary>
/// COCO and VOC metrics: small cases worked out by hand from COCO's published definition (each explained),
/// and randomized sets against coco_reference.py, an independent numpy reimplementation of COCOeval kept
/// beside this file (pycocotools itself cannot be installed here).
/// </summary>
[TestClass]
public sealed class CocoEvaluatorTests
{
    private const double Tolerance = 1e-12;

    private static CocoGroundTruth GroundTruth(params (long Image, long Category, double X, double Y, double W, double H, bool Crowd)[] boxes)
    {
        var images = boxes.Select(b => b.Image).Append(1).Distinct().Select(id => new CocoImage(id, null, 640, 480)).ToArray();
        var annotations = boxes.Select((b, i) => new CocoAnnotation(i + 1, b.Image, b.Category, b.X, b.Y, b.W, b.H, b.W * b.H, b.Crowd)).ToArray();
        return new CocoGroundTruth(images, annotations, new[] { new CocoCategory(1, "thing") });
    }

    private static CocoDetectionResult Result(double x, double y, double w, double h, double score, long image = 1) =>
        new(image, 1, x, y, w, h, score);

    private static void AssertStats(double[] expected, DetectionMetrics metrics)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], metrics.Stats[i], Tolerance, $"{DetectionMetrics.StatNames[i]}");
    }

    [TestMethod]
    public void ExactMatchOfOneSmallBox_IsPerfect_AndOtherAreaRangesAreUndefined()
    {
        // One 10x10 ground truth (area 100: small) found exactly: IoU 1 at every threshold, precision 1
        // at every recall point. Medium and large have no ground truth: -1, as COCOeval prints.
        var metrics = CocoEvaluation.Evaluate(GroundTruth((1, 1, 0, 0, 10, 10, false)), new[] { Result(0, 0, 10, 10, 0.9) });

        AssertStats(new double[] { 1, 1, 1, 1, -1, -1, 1, 1, 1, 1, -1, -1 }, metrics);
        Assert.AreEqual(1, metrics.VocAP50, Tolerance);
        Assert.AreEqual(1, metrics.PerClassAP["thing"], Tolerance);
    }

    [TestMethod]
    public void IouExactlyHalf_MatchesAtCoco50ButNotInVoc_AndInterpolationGives51Of101Points()
    {
        // Ground truths A = (0,0,100,100) and B = (200,0,100,100), both area 10,000 (large, > 96² = 9,216).
        // p1 (0.9) = A: IoU 1.  p2 (0.8) = (200,0,100,50): IoU with B = 5,000 / 10,000 = 0.5.  p3 (0.7): far away.
        //
        // IoU 0.50 (COCO matches IoU ≥ t): TP, TP, FP -> recall .5, 1, 1; precision 1, 1, 2/3; envelope 1, 1, 2/3.
        //   Every recall point 0..1 is reached by the second prediction: precision 1 at all 101 points -> AP 1.
        // IoU 0.55 .. 0.95 (9 thresholds): TP, FP, FP -> recall .5, .5, .5; precision 1, 1/2, 1/3.
        //   Recall points 0, .01, .., .50 (51 points) read precision 1; .51 .. 1 (50 points) are never reached: 0.
        //   AP = 51/101.
        // AP = (1 + 9 · 51/101) / 10 = 560/1010;  AP50 = 1;  AP75 = 51/101. All ground truth is large: APl = AP.
        //   (In the large range, the unmatched p2/p3 have areas 5,000 and 2,500 outside it and are ignored, which
        //   does not change these numbers: recall still stops at .5 and precision before it is 1.)
        // AR1: only p1 counts -> recall .5 at every threshold -> .5.
        // AR10 = AR100 = ARl: recall 1 at 0.50, .5 at the 9 others -> (1 + 4.5) / 10 = .55.
        // VOC needs IoU > 0.5: p2 is a false positive; recall .5 at precision 1, so VOC AP = .5.
        var gt = GroundTruth((1, 1, 0, 0, 100, 100, false), (1, 1, 200, 0, 100, 100, false));
        var results = new[] { Result(0, 0, 100, 100, 0.9), Result(200, 0, 100, 50, 0.8), Result(400, 400, 50, 50, 0.7) };

        var metrics = CocoEvaluation.Evaluate(gt, results);

        double ap = 560.0 / 1010;
        AssertStats(new[] { ap, 1, 51.0 / 101, -1, -1, ap, 0.5, 0.55, 0.55, -1, -1, 0.55 }, metrics);
        Assert.AreEqual(0.5, metrics.VocAP50, Tolerance);
    }

    [TestMethod]
    public void PredictionsInsideACrowdRegion_AreIgnored_NotFalsePositives()
    {
        // Crowd region C = (0,0,200,200); ground truth G = (300,0,50,50), area 2,500 (medium).
        // p1 (0.9) and p2 (0.8) lie inside C: IoU with a crowd region is |p ∩ C| / |p| = 1, and a crowd region
        // may be matched again, so both are matched to C and ignored. p3 (0.7) = G: true positive.
        // Curve: ignored, ignored, TP -> recall 0, 0, 1; precision 0, 0, 1; envelope 1, 1, 1 -> AP 1 everywhere.
        // Only G counts (crowds never do): small and large have no counted ground truth -> -1.
        // AR1: with one detection per image only p1 counts, and it is ignored: recall 0.
        // Without the crowd flag, p1 and p2 would be false positives ranked first: AP50 = precision 1/3 at recall 1.
        var crowd = GroundTruth((1, 1, 0, 0, 200, 200, true), (1, 1, 300, 0, 50, 50, false));
        var notCrowd = GroundTruth((1, 1, 0, 0, 200, 200, false), (1, 1, 300, 0, 50, 50, false));
        var results = new[] { Result(10, 10, 50, 50, 0.9), Result(10, 100, 50, 50, 0.8), Result(300, 0, 50, 50, 0.7) };

        var metrics = CocoEvaluation.Evaluate(crowd, results);

        AssertStats(new double[] { 1, 1, 1, -1, 1, -1, 0, 1, 1, -1, 1, -1 }, metrics);
        // VOC excuses ("difficult") only a prediction whose best plain IoU (> .5) is with the crowd region; p1 and
        // p2 have plain IoU 2,500 / 40,000 with C, so they are false positives: FP, FP, TP -> AP = 1 · 1/3.
        Assert.AreEqual(1.0 / 3, metrics.VocAP50, Tolerance);
        // Without crowd: C (area 40,000) and G count; p1, p2 have IoU 2,500/40,000 with C: false positives.
        // IoU .5: FP, FP, TP -> recall 0, 0, .5; precision 0, 0, 1/3; envelope 1/3 up to recall .5 (51 points), then 0.
        Assert.AreEqual(51.0 / 101 / 3, CocoEvaluation.Evaluate(notCrowd, results).AP50, Tolerance);
    }

    [TestMethod]
    public void MaxDetections_CountOnlyTheBestPredictionsOfEachImage()
    {
        // Two ground truths in one image, both found exactly, scores .9 and .8. With one detection per image
        // only the .9 prediction counts: recall .5 (AR1 = .5); with 10, both: AR10 = 1. AP (100 detections) = 1.
        var gt = GroundTruth((1, 1, 0, 0, 40, 40, false), (1, 1, 100, 100, 40, 40, false));
        var metrics = CocoEvaluation.Evaluate(gt, new[] { Result(0, 0, 40, 40, 0.9), Result(100, 100, 40, 40, 0.8) });

        Assert.AreEqual(0.5, metrics.AR1, Tolerance);
        Assert.AreEqual(1, metrics.AR10, Tolerance);
        Assert.AreEqual(1, metrics.AP, Tolerance);
    }

    [TestMethod]
    public void NoGroundTruth_GivesMinusOneEverywhere()
    {
        var gt = new CocoGroundTruth(new[] { new CocoImage(1, null, 10, 10) }, Array.Empty<CocoAnnotation>(), new[] { new CocoCategory(1, "thing") });

        var metrics = CocoEvaluation.Evaluate(gt, new[] { Result(0, 0, 5, 5, 0.9) });

        Assert.IsTrue(metrics.Stats.All(s => s == -1), string.Join(", ", metrics.Stats));
        Assert.AreEqual(-1, metrics.PerClassAP["thing"]);
        Assert.AreEqual(-1, metrics.VocAP50);
    }

    [TestMethod]
    public void DetectionOnAnImageOutsideTheGroundTruth_IsRefused()
    {
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => CocoEvaluation.Evaluate(GroundTruth((1, 1, 0, 0, 5, 5, false)), new[] { Result(0, 0, 5, 5, 0.9, image: 7) }));
        StringAssert.Contains(ex.Message, "Detection 0 names image_id 7, which is not an image of the ground truth.");
    }

    public static IEnumerable<object[]> ReferenceCases =>
        JsonDocument.Parse(File.ReadAllText(ReferencePath)).RootElement.EnumerateArray().Select(c => new object[] { c.GetProperty("name").GetString()! });

    private static string ReferencePath => Path.Combine(AppContext.BaseDirectory, "Vision", "Evaluation", "coco_reference_cases.json");

    [TestMethod]
    [DynamicData(nameof(ReferenceCases))]
    public void RandomizedSets_MatchTheNumpyReimplementationOfCocoEval(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(ReferencePath));
        var c = document.RootElement.EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        var gt = CocoJson.ParseGroundTruth(c.GetProperty("ground_truth").GetRawText());
        var results = CocoJson.ParseResults(c.GetProperty("results").GetRawText());
        var expected = c.GetProperty("expected");

        var metrics = CocoEvaluation.Evaluate(gt, results);

        var stats = expected.GetProperty("stats").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.IsTrue(stats.Count(s => s > 0) >= 10, "the case must exercise most metrics");
        AssertStats(stats, metrics);
        foreach (var perClass in expected.GetProperty("per_class_ap").EnumerateObject())
            Assert.AreEqual(perClass.Value.GetDouble(), metrics.PerClassAP[perClass.Name], Tolerance, $"AP of {perClass.Name}");
        Assert.AreEqual(expected.GetProperty("voc_ap50").GetDouble(), metrics.VocAP50, Tolerance, "VOC AP50");
        foreach (var perClass in expected.GetProperty("per_class_voc_ap50").EnumerateObject())
            Assert.AreEqual(perClass.Value.GetDouble(), metrics.PerClassVocAP50[perClass.Name], Tolerance, $"VOC AP50 of {perClass.Name}");
    }

    [TestMethod]
    public void CocoJson_NamesTheBadElementAndField()
    {
        var bbox = Assert.ThrowsExactly<InvalidDataException>(() => CocoJson.ParseResults("""[{"image_id":1,"category_id":1,"bbox":[1,2,3],"score":0.5}]"""));
        StringAssert.Contains(bbox.Message, "[0].bbox must hold 4 numbers [x, y, width, height], got [1,2,3].");
        var score = Assert.ThrowsExactly<InvalidDataException>(() => CocoJson.ParseResults("""[{"image_id":1,"category_id":1,"bbox":[1,2,3,4]}]"""));
        StringAssert.Contains(score.Message, "[0].score must be a number and is missing.");
        var category = Assert.ThrowsExactly<InvalidDataException>(() => CocoJson.ParseGroundTruth(
            """{"images":[{"id":1}],"categories":[{"id":1,"name":"a"}],"annotations":[{"id":5,"image_id":1,"category_id":3,"bbox":[0,0,1,1]}]}"""));
        StringAssert.Contains(category.Message, "annotations[0] (id 5): category_id 3 is not among the categories (1).");
        var notObject = Assert.ThrowsExactly<InvalidDataException>(() => CocoJson.ParseGroundTruth("[]"));
        StringAssert.Contains(notObject.Message, "A COCO instances file holds an object with images, annotations and categories, got array.");
    }
}
