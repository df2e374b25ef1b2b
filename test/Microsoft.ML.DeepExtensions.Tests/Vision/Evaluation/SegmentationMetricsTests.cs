using System.Text.Json;
using Microsoft.ML.DeepExtensions.Tests.Cli;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision.Evaluation;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Evaluation;

/// <summary>
/// COCO segmentation metrics and mask encodings against the real pycocotools (segmentation_golden.json, written by
/// generate_segmentation_golden.py beside this file): polygon rasterization (frPyObjects + merge), compressed RLE
/// strings, and the 12 numbers of COCOeval(iouType="segm") on randomized cases.
/// </summary>
[TestClass]
public sealed class SegmentationMetricsTests
{
    private static readonly Lazy<JsonDocument> Golden = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vision", "Evaluation", "segmentation_golden.json"))));

    [TestMethod]
    public void PolygonsRasterizeAsPycocotools()
    {
        int cases = 0;
        foreach (var c in Golden.Value.RootElement.GetProperty("polygons").EnumerateArray())
        {
            int width = c.GetProperty("width").GetInt32(), height = c.GetProperty("height").GetInt32();
            var polygons = c.GetProperty("polygons").EnumerateArray().Select(p => p.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
            var mask = RunLengthEncodedMask.FromPolygons(polygons, height, width);
            var expected = c.GetProperty("counts").EnumerateArray().Select(v => v.GetUInt32()).ToArray();
            CollectionAssert.AreEqual(expected, mask.Counts.ToArray(), $"polygon case {cases}: {c.GetProperty("polygons").GetRawText()} on {width}x{height}");
            Assert.AreEqual(c.GetProperty("area").GetInt64(), mask.Area());
            string compressed = c.GetProperty("compressed").GetString()!;
            Assert.AreEqual(compressed, mask.ToCompressedString(), $"polygon case {cases}: compressed string");
            CollectionAssert.AreEqual(expected, RunLengthEncodedMask.FromCompressedString(compressed, height, width).Counts.ToArray());
            cases++;
        }
        Assert.IsTrue(cases >= 40);
    }

    [TestMethod]
    public void TheTwelveNumbersEqualPycocotoolsSegm()
    {
        int cases = 0;
        double worst = 0;
        foreach (var c in Golden.Value.RootElement.GetProperty("cases").EnumerateArray())
        {
            var truth = CocoJson.ParseGroundTruth(c.GetProperty("groundTruth").GetRawText());
            var results = CocoJson.ParseResults(c.GetProperty("results").GetRawText());
            var metrics = CocoEvaluation.Evaluate(truth, results, CocoIouType.Segmentation);
            var expected = c.GetProperty("stats").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            for (int i = 0; i < 12; i++)
            {
                worst = Math.Max(worst, Math.Abs(expected[i] - metrics.Stats[i]));
                Assert.AreEqual(expected[i], metrics.Stats[i], 1e-4, $"{c.GetProperty("name").GetString()}: {DetectionMetrics.StatNames[i]}");
            }
            cases++;
        }
        Assert.AreEqual(8, cases);
        Console.WriteLine($"largest difference from pycocotools: {worst:E2}");
    }

    [TestMethod]
    public void BoxAndMaskMetricsDiffer()
    {
        // The same files by boxes and by masks: the masks of the random cases are blobs and polygons, not rectangles,
        // so the IoUs (and the numbers) must differ; a check that the iouType is really used.
        var c = Golden.Value.RootElement.GetProperty("cases")[3];
        var truth = CocoJson.ParseGroundTruth(c.GetProperty("groundTruth").GetRawText());
        var results = CocoJson.ParseResults(c.GetProperty("results").GetRawText());
        var boxes = CocoEvaluation.Evaluate(truth, results, CocoIouType.BoundingBox);
        var masks = CocoEvaluation.Evaluate(truth, results, CocoIouType.Segmentation);
        Assert.AreNotEqual(boxes.AP, masks.AP);
    }

    [TestMethod]
    public void CrowdRegionsUseThePredictionsAreaAsTheUnion()
    {
        // A 10x10 image; crowd region = left half (50 px); a prediction covering its top-left 5x5 (25 px) lies
        // wholly inside it: crowd IoU 25/25 = 1, so it is matched to the crowd region and ignored, not a false positive.
        // The counted object (right half, 50 px) is found exactly.
        var left = Rectangle(10, 10, 0, 0, 5, 10);
        var right = Rectangle(10, 10, 5, 0, 5, 10);
        var corner = Rectangle(10, 10, 0, 0, 5, 5);
        var truth = new CocoGroundTruth(new[] { new CocoImage(1, null, 10, 10) },
            new[]
            {
                new CocoAnnotation(1, 1, 1, 0, 0, 5, 10, 50, true, left),
                new CocoAnnotation(2, 1, 1, 5, 0, 5, 10, 50, false, right),
            },
            new[] { new CocoCategory(1, "thing") });
        var results = new[]
        {
            new CocoDetectionResult(1, 1, 0, 0, 5, 5, 0.9, corner),
            new CocoDetectionResult(1, 1, 5, 0, 5, 10, 0.8, right),
        };
        var metrics = CocoEvaluation.Evaluate(truth, results, CocoIouType.Segmentation);
        Assert.AreEqual(1, metrics.AP, 1e-12, "the prediction inside the crowd region is ignored");
        Assert.AreEqual(1, metrics.AR100, 1e-12);
    }

    [TestMethod]
    public void BadSegmentationsAreClearErrors()
    {
        const string truth = """{"images":[{"id":1,"width":4,"height":3}],"categories":[{"id":1,"name":"a"}],"annotations":[{"id":1,"image_id":1,"category_id":1,"segmentation":{"size":[3,5],"counts":[15]},"area":0,"bbox":[0,0,1,1]}]}""";
        var error = Assert.ThrowsExactly<InvalidDataException>(() => CocoJson.ParseGroundTruth(truth));
        StringAssert.Contains(error.Message, "annotations[0] (id 1).segmentation.size is [3, 5], but image 1 is 3 high and 4 wide");

        error = Assert.ThrowsExactly<InvalidDataException>(() => CocoJson.ParseResults("""[{"image_id":1,"category_id":1,"score":0.5,"segmentation":[[0,0,1,0,1,1]]}]"""));
        StringAssert.Contains(error.Message, "[0].segmentation must be an RLE object");

        error = Assert.ThrowsExactly<InvalidDataException>(() => CocoJson.ParseResults("""[{"image_id":1,"category_id":1,"score":0.5,"segmentation":{"size":[3,4],"counts":[2,3]}}]"""));
        StringAssert.Contains(error.Message, "Run lengths must add up to height x width = 3 x 4 = 12 pixels, got 5");

        var parsed = CocoJson.ParseGroundTruth("""{"images":[{"id":1,"width":4,"height":3}],"categories":[{"id":1,"name":"a"}],"annotations":[{"id":7,"image_id":1,"category_id":1,"area":1,"bbox":[0,0,1,1]}]}""");
        var results = CocoJson.ParseResults("""[{"image_id":1,"category_id":1,"score":0.5,"segmentation":{"size":[3,4],"counts":"<"}}]""");
        error = Assert.ThrowsExactly<InvalidDataException>(() => CocoEvaluation.Evaluate(parsed, results, CocoIouType.Segmentation));
        StringAssert.Contains(error.Message, "Annotation 7 has no segmentation");
    }

    [TestMethod]
    public void TheCliEvaluatesSegmentationFromCocoFiles()
    {
        var c = Golden.Value.RootElement.GetProperty("cases")[0];
        string folder = Path.Combine(Path.GetTempPath(), $"dx-segm-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            string truth = Path.Combine(folder, "instances.json"), predictions = Path.Combine(folder, "results.json");
            File.WriteAllText(truth, c.GetProperty("groundTruth").GetRawText());
            File.WriteAllText(predictions, c.GetProperty("results").GetRawText());
            var result = CliRunner.Run("evaluate", "--task", "segmentation", "--ground-truth", truth, "--predictions", predictions);
            Assert.AreEqual(0, result.ExitCode, result.ToString());
            var expected = c.GetProperty("stats").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            for (int i = 0; i < 12; i++)
                Assert.AreEqual(expected[i], result.Metrics.GetProperty(DetectionMetrics.StatNames[i]).GetDouble(), 1e-4, DetectionMetrics.StatNames[i]);

            var boxes = CliRunner.Run("evaluate", "--task", "detection", "--ground-truth", truth, "--predictions", predictions);
            Assert.AreEqual(0, boxes.ExitCode, boxes.ToString());
            Assert.AreNotEqual(result.Metrics.GetProperty("AP").GetDouble(), boxes.Metrics.GetProperty("AP").GetDouble());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void AnInstanceMaskEncodesAsItsPixels()
    {
        var mask = new InstanceMask(1, 2, 3, 2, new byte[] { 1, 0, 1, 1, 1, 0 });
        var rle = RunLengthEncodedMask.FromInstanceMask(mask, height: 5, width: 4);
        var pixels = rle.Decode();
        for (int x = 0; x < 4; x++)
        {
            for (int y = 0; y < 5; y++)
                Assert.AreEqual(mask.Contains(x, y) ? 1 : 0, pixels[x * 5 + y], $"pixel ({x}, {y})");
        }
        Assert.AreEqual(4, rle.Area());
        Assert.AreEqual((1.0, 2.0, 3.0, 2.0), rle.BoundingBox());
    }

    private static RunLengthEncodedMask Rectangle(int height, int width, int x, int y, int w, int h)
    {
        var pixels = new byte[height * width];
        for (int cx = x; cx < x + w; cx++)
        {
            for (int cy = y; cy < y + h; cy++)
                pixels[cx * height + cy] = 1;
        }
        return RunLengthEncodedMask.Encode(pixels, height, width);
    }
}
