using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Models;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Yolo;

/// <summary>
/// End-to-end YOLO exports ([B, 300, 6], no NMS; YOLOv10 and later) against the reference (generate_detection_models.py:
/// the PyTorch forward of a tiny model ending in v10Detect.postprocess, rows above the threshold, boxes mapped back).
/// </summary>
[TestClass]
public sealed class YoloEndToEndTests
{
    private static YoloObjectDetector.Options Options() => new()
    {
        ModelPath = ExpectedDetections.ModelFile("yolov10"),
        Version = YoloVersion.EndToEnd,
        Device = ComputeDevice.Cpu,
    };

    [TestMethod]
    [DataRow(1)]
    [DataRow(3)]
    public void TransformMatchesTheReference(int batchSize)
    {
        var ml = new MLContext(seed: 1);
        var images = ExpectedDetections.Images("yolov10");
        var data = YoloObjectDetectorTests.LoadImages(ml, images.Select(i => i.Path));
        var options = Options();
        options.BatchSize = batchSize;
        using var detector = ml.Transforms.DetectObjectsYolo(options).Fit(data);
        Assert.AreEqual(YoloVersion.EndToEnd, detector.Version);
        var results = detector.Columns.ReadDetections(detector.Transform(data)).ToArray();
        Assert.AreEqual(images.Count, results.Length);
        for (int i = 0; i < images.Count; i++)
            ExpectedDetections.AssertMatches(images[i], results[i], $"end-to-end, batch {batchSize}");
    }

    [TestMethod]
    public void ConfidenceAndMaxDetectionsApplyWithoutNms()
    {
        var ml = new MLContext(seed: 1);
        var image = ExpectedDetections.Images("yolov10").OrderByDescending(i => i.Detections.Length).First();
        Assert.IsTrue(image.Detections.Length >= 3, "the reference image has a few detections");
        using var mlImage = Microsoft.ML.Data.MLImage.CreateFromFile(image.Path);

        var options = Options();
        options.MaxDetections = 2;
        using (var detector = YoloObjectDetector.Create(ml, options))
        {
            var detections = detector.Detect(mlImage);
            Assert.AreEqual(2, detections.Count);
            Assert.AreEqual(image.Detections[0].Score, detections[0].Score, ExpectedDetections.ScoreTolerance);
            Assert.AreEqual(image.Detections[1].Score, detections[1].Score, ExpectedDetections.ScoreTolerance);
        }

        float between = (image.Detections[1].Score + image.Detections[2].Score) / 2;
        options = Options();
        options.ConfidenceThreshold = between;
        using (var detector = YoloObjectDetector.Create(ml, options))
            Assert.AreEqual(2, detector.Detect(mlImage).Count, $"a threshold of {between} keeps the two best rows");
    }

    [TestMethod]
    public void AskingForTheWrongLayoutSaysWhatTheFileLooksLike()
    {
        var ml = new MLContext(seed: 1);
        var options = Options();
        options.Version = YoloVersion.V8;
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => YoloObjectDetector.Create(ml, options));
        StringAssert.Contains(error.Message, "does not have the YOLOv8 layout");
        StringAssert.Contains(error.Message, "looks like an end-to-end YOLO export without NMS");
        StringAssert.Contains(error.Message, "[batch,300,6]");
        StringAssert.Contains(error.Message, "Ask for end-to-end YOLO (YoloVersion.EndToEnd) instead");

        options.Version = YoloVersion.V5;
        error = Assert.ThrowsExactly<InvalidOperationException>(() => YoloObjectDetector.Create(ml, options));
        StringAssert.Contains(error.Message, "looks like an end-to-end YOLO export");

        options = Options();
        options.ModelPath = ExpectedDetections.ModelFile("yolov8");
        error = Assert.ThrowsExactly<InvalidOperationException>(() => YoloObjectDetector.Create(ml, options));
        StringAssert.Contains(error.Message, "does not have the end-to-end YOLO (YoloVersion.EndToEnd) layout");
        StringAssert.Contains(error.Message, "looks like a YOLOv8-or-later export");
        StringAssert.Contains(error.Message, "Ask for YOLOv8 instead");
    }

    [TestMethod]
    public void AClassBeyondTheNamesIsAClearError()
    {
        // [B, N, 6] does not say how many classes the model has: a class index the names do not cover is named.
        var ml = new MLContext(seed: 1);
        var images = ExpectedDetections.Images("yolov10");
        var image = images.First(i => i.Detections.Any(d => d.Label > 0));
        int highest = image.Detections.Max(d => d.Label);
        var options = Options();
        options.ClassNames = Enumerable.Range(0, highest).Select(i => $"class{i}").ToArray();
        using var detector = YoloObjectDetector.Create(ml, options);
        using var mlImage = Microsoft.ML.Data.MLImage.CreateFromFile(image.Path);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => detector.Detect(mlImage));
        StringAssert.Contains(error.Message, $"holds class {highest}");
        StringAssert.Contains(error.Message, $"there are {highest} class names");
    }
}
