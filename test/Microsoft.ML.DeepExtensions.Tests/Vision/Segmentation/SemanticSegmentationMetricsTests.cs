using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Tests.Vision.Segmentation.Models;
using Microsoft.ML.DeepExtensions.Vision;
using Microsoft.ML.DeepExtensions.Vision.Segmentation;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Segmentation;

/// <summary>
/// Pixel accuracy, IoU and mean IoU with an ignore label: a hand-worked case, random cases and a whole pipeline against the
/// confusion-matrix formulas of torchvision's segmentation references (generate_semantic_models.py, confusion_metrics).
/// </summary>
[TestClass]
public sealed class SemanticSegmentationMetricsTests
{
    private static readonly Lazy<JsonDocument> Golden = new(() => JsonDocument.Parse(File.ReadAllText(ExpectedClassMaps.PathOf("expected_class_maps.json"))));

    [TestMethod]
    public void AHandWorkedCase()
    {
        // Labels  [0, 0, 1, 1, 255, 2]; predictions [0, 1, 1, 1, 0, 0]. The 255 pixel is ignored.
        // Confusion (true x predicted): row 0 = [1, 1, 0], row 1 = [0, 2, 0], row 2 = [1, 0, 0]; 5 pixels, 3 right.
        // IoU 0 = 1 / (2 + 2 - 1) = 1/3; IoU 1 = 2 / (2 + 3 - 2) = 2/3; IoU 2 = 0 / (1 + 0 - 0) = 0; class 3 in neither: -1.
        // Mean IoU = (1/3 + 2/3 + 0) / 3 = 1/3. Class accuracies 1/2, 1, 0 -> mean 1/2.
        var evaluator = new SemanticSegmentationEvaluator(new[] { "a", "b", "c", "d" }, ignoreLabel: 255);
        evaluator.Add(new[] { 0, 0, 1, 1, 255, 2 }, new[] { 0, 1, 1, 1, 0, 0 });
        var m = evaluator.Metrics();
        Assert.AreEqual(5, m.Pixels);
        Assert.AreEqual(0.6, m.PixelAccuracy, 1e-12);
        Assert.AreEqual(1.0 / 3, m.PerClassIoU["a"], 1e-12);
        Assert.AreEqual(2.0 / 3, m.PerClassIoU["b"], 1e-12);
        Assert.AreEqual(0, m.PerClassIoU["c"], 1e-12);
        Assert.AreEqual(-1, m.PerClassIoU["d"]);
        Assert.AreEqual(1.0 / 3, m.MeanIoU, 1e-12);
        Assert.AreEqual(0.5, m.MeanAccuracy, 1e-12);
    }

    [TestMethod]
    public void RandomCasesMatchTheReferenceFormulas()
    {
        foreach (var c in Golden.Value.RootElement.GetProperty("metricsCases").EnumerateArray())
        {
            int n = c.GetProperty("classes").GetInt32();
            var evaluator = new SemanticSegmentationEvaluator(Enumerable.Range(0, n).Select(i => $"c{i}").ToArray());
            var labels = c.GetProperty("labels").EnumerateArray().ToArray();
            var predictions = c.GetProperty("predictions").EnumerateArray().ToArray();
            for (int image = 0; image < labels.Length; image++)
                evaluator.Add(labels[image].EnumerateArray().Select(v => v.GetInt32()).ToArray(), predictions[image].EnumerateArray().Select(v => v.GetInt32()).ToArray());
            AssertMetrics(c, evaluator.Metrics(), 1e-12);
        }
    }

    [TestMethod]
    public void EvaluateOnAPipelineMatchesTheReference()
    {
        // FCN class maps (this transform, >= 99.9% equal to torchvision's) against DeepLabV3's reference maps as labels with
        // an ignored 5-pixel border: the reference numbers come from torchvision's maps, so they agree to about 1e-4.
        var ml = new MLContext(seed: 1);
        var labelsFrom = ExpectedClassMaps.Images("deeplabv3");
        var rows = labelsFrom.Select(image =>
        {
            var labels = image.Classes.Select(c => (byte)c).ToArray();
            for (int y = 0; y < image.Height; y++)
            {
                for (int x = 0; x < image.Width; x++)
                {
                    if (x < 5 || y < 5 || x >= image.Width - 5 || y >= image.Height - 5)
                        labels[y * image.Width + x] = 255;
                }
            }
            return new Row { ImagePath = image.Path, Label = labels };
        }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(Row.ImagePath))
            .Append(ml.Transforms.SegmentImages(new SemanticSegmenter.Options
            {
                ModelPath = ExpectedClassMaps.ModelFile("fcn"),
                Kind = SemanticSegmentationKind.Fcn,
                ClassNamesFile = ExpectedClassMaps.PathOf("semantic_classes.txt"),
                Device = ComputeDevice.Cpu,
            }));
        var scored = pipeline.Fit(data).Transform(data);
        var metrics = ml.SemanticSegmentation().Evaluate(scored);
        CollectionAssert.AreEqual(ExpectedClassMaps.ClassNames.ToArray(), metrics.ClassNames.ToArray());
        AssertMetrics(Golden.Value.RootElement.GetProperty("pipelineMetrics"), metrics, 1e-3);
    }

    [TestMethod]
    public void BadLabelsAreNamed()
    {
        var evaluator = new SemanticSegmentationEvaluator(new[] { "a", "b" });
        var error = Assert.ThrowsExactly<InvalidDataException>(() => evaluator.Add(new[] { 0, 7 }, new[] { 0, 1 }, "image x.png"));
        StringAssert.Contains(error.Message, "image x.png: pixel 1 is labelled 7, outside the 2 classes 0..1 and not the ignore label 255");
        error = Assert.ThrowsExactly<InvalidDataException>(() => evaluator.Add(new[] { 0 }, new[] { 0, 1 }));
        StringAssert.Contains(error.Message, "the label map has 1 pixels but the class map 2");
    }

    private static void AssertMetrics(JsonElement expected, SemanticSegmentationMetrics metrics, double tolerance)
    {
        Assert.AreEqual(expected.GetProperty("pixels").GetInt64(), metrics.Pixels);
        Assert.AreEqual(expected.GetProperty("pixelAccuracy").GetDouble(), metrics.PixelAccuracy, tolerance, "pixel accuracy");
        Assert.AreEqual(expected.GetProperty("meanIoU").GetDouble(), metrics.MeanIoU, tolerance, "mean IoU");
        Assert.AreEqual(expected.GetProperty("meanAccuracy").GetDouble(), metrics.MeanAccuracy, tolerance, "mean accuracy");
        var perClass = expected.GetProperty("perClassIoU").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        for (int c = 0; c < perClass.Length; c++)
            Assert.AreEqual(perClass[c], metrics.PerClassIoU[metrics.ClassNames[c]], tolerance, $"IoU of class {c}");
    }

    private sealed class Row
    {
        public string ImagePath { get; set; } = "";
        public byte[] Label { get; set; } = Array.Empty<byte>();
    }
}
