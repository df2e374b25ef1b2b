using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision;
using Microsoft.ML.DeepExtensions.Vision.Detection;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Evaluation;

/// <summary><c>mlContext.ObjectDetection().Evaluate</c> on a detector's output with ground-truth columns.</summary>
[TestClass]
public sealed class ObjectDetectionEvaluateTests
{
    private string _directory = null!;

    [TestInitialize]
    public void WriteImages()
    {
        _directory = Path.Combine(Path.GetTempPath(), "dx-evaluate-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        // FakeDetector finds Width % 3 objects: 5 wide -> cat (0,0,5,3) and dog (1,1,4,4); 4 wide -> cat (0,0,4,3).
        foreach (var (name, width, height) in new[] { ("two.png", 5, 6), ("one.png", 4, 6) })
        {
            var pixels = new byte[width * height * 4];
            using var image = MLImage.CreateFromPixels(width, height, MLPixelFormat.Bgra32, pixels);
            image.Save(Path.Combine(_directory, name));
        }
    }

    [TestCleanup]
    public void DeleteImages()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private sealed class Row
    {
        public string ImagePath { get; set; } = "";
        public string[] Label { get; set; } = Array.Empty<string>();
        public float[] Box { get; set; } = Array.Empty<float>();
    }

    private IDataView Scored(MLContext ml, Row[] rows)
    {
        var data = ml.Data.LoadFromEnumerable(rows);
        // MapValueToKey numbers labels by first occurrence: "dog" = 1, "cat" = 2, the reverse of the detector's
        // classes (cat = 1, dog = 2). Evaluate must match them by name.
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.LoadImages("Image", _directory, "ImagePath"))
            .Append(new ObjectDetectionEstimator<FakeDetector>(new FakeDetector(ml, batchSize: 2)));
        return pipeline.Fit(data).Transform(data);
    }

    [TestMethod]
    public void PerfectDetections_WithDifferentlyNumberedLabelKeys_ScoreOne()
    {
        var ml = new MLContext(seed: 1);
        var rows = new[]
        {
            new Row { ImagePath = "two.png", Label = new[] { "dog", "cat" }, Box = new float[] { 1, 1, 4, 4, 0, 0, 5, 3 } },
            new Row { ImagePath = "one.png", Label = new[] { "cat" }, Box = new float[] { 0, 0, 4, 3 } },
        };

        var metrics = ml.ObjectDetection().Evaluate(Scored(ml, rows));

        Assert.AreEqual(1, metrics.AP, 1e-12);
        Assert.AreEqual(1, metrics.APSmall, 1e-12, "all boxes are tiny: small");
        Assert.AreEqual(-1, metrics.APLarge);
        Assert.AreEqual(1, metrics.PerClassAP["cat"], 1e-12);
        Assert.AreEqual(1, metrics.PerClassAP["dog"], 1e-12);
        Assert.AreEqual(1, metrics.VocAP50, 1e-12);
        Assert.AreEqual((2, 3, 3), (metrics.Images, metrics.GroundTruthObjects, metrics.PredictedObjects));
    }

    [TestMethod]
    public void AMissedObject_LowersRecall_AndAnUnpredictedClassIsAdded()
    {
        // Ground truth adds a "bird" the detector does not know and a second dog it misses.
        // dog: 1 of 2 found -> AP50 = 51/101 (precision 1 up to recall .5); cat: perfect; bird: 0.
        var ml = new MLContext(seed: 1);
        var rows = new[]
        {
            new Row { ImagePath = "two.png", Label = new[] { "dog", "cat", "bird" }, Box = new float[] { 1, 1, 4, 4, 0, 0, 5, 3, 2, 2, 3, 3 } },
            new Row { ImagePath = "one.png", Label = new[] { "cat", "dog" }, Box = new float[] { 0, 0, 4, 3, 0, 3, 4, 6 } },
        };

        var metrics = ml.ObjectDetection().Evaluate(Scored(ml, rows));

        Assert.AreEqual(1, metrics.PerClassAP["cat"], 1e-12);
        Assert.AreEqual(51.0 / 101, metrics.PerClassAP["dog"], 1e-12);
        Assert.AreEqual(0, metrics.PerClassAP["bird"], 1e-12);
        Assert.AreEqual((1 + 51.0 / 101 + 0) / 3, metrics.AP50, 1e-12);
        Assert.AreEqual(0.5, metrics.PerClassVocAP50["dog"], 1e-12);
    }

    [TestMethod]
    public void MissingOrMistypedColumns_AreNamed()
    {
        var ml = new MLContext(seed: 1);
        var rows = new[] { new Row { ImagePath = "one.png", Label = new[] { "cat" }, Box = new float[] { 0, 0, 4, 3 } } };
        var scored = Scored(ml, rows);

        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.ObjectDetection().Evaluate(scored, boundingBoxColumnName: "Boxes"));
        StringAssert.Contains(missing.Message, "Bounding box column 'Boxes' not found in the data.");
        var wrong = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.ObjectDetection().Evaluate(scored, boundingBoxColumnName: "ImagePath"));
        StringAssert.Contains(wrong.Message, "Schema mismatch for column 'ImagePath': expected a vector of Single, got String.");
        var odd = new[] { new Row { ImagePath = "one.png", Label = new[] { "cat" }, Box = new float[] { 0, 0, 4 } } };
        var count = Assert.ThrowsExactly<InvalidDataException>(() => ml.ObjectDetection().Evaluate(Scored(ml, odd)));
        StringAssert.Contains(count.Message, "Row 0: column 'Box' holds 3 values for 1 labels in 'Label'; it needs 4 (x0, y0, x1, y1) per label.");
    }
}
