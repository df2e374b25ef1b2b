using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Models;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Yolo;

/// <summary>
/// The YOLO transform against the reference decode (generate_detection_models.py: Ultralytics' letterbox with cv2,
/// the PyTorch forward, torchvision batched_nms) on the generated YOLOv3-zoo/v5/v8 models and real photos.
/// </summary>
[TestClass]
public sealed class YoloObjectDetectorTests
{
    private sealed class ImagePath
    {
        public string Path { get; set; } = "";
    }

    internal static IDataView LoadImages(MLContext ml, IEnumerable<string> paths) =>
        ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(ImagePath.Path))
            .Fit(ml.Data.LoadFromEnumerable(Array.Empty<ImagePath>()))
            .Transform(ml.Data.LoadFromEnumerable(paths.Select(p => new ImagePath { Path = p }).ToArray()));

    private static YoloObjectDetector.Options OptionsFor(string kind) => new()
    {
        ModelPath = ExpectedDetections.ModelFile(kind),
        Version = kind switch { "yolov3" => YoloVersion.V3, "yolov5" => YoloVersion.V5, _ => YoloVersion.V8 },
        ClassNamesFile = kind == "yolov3" ? ExpectedDetections.PathOf("yolo_classes.txt") : null,
        Device = ComputeDevice.Cpu,
    };

    [TestMethod]
    [DataRow("yolov8")]
    [DataRow("yolov5")]
    [DataRow("yolov3")]
    public void TransformMatchesTheReferenceDecode(string kind)
    {
        var ml = new MLContext(seed: 1);
        var images = ExpectedDetections.Images(kind);
        var data = LoadImages(ml, images.Select(i => i.Path));
        using var detector = ml.Transforms.DetectObjectsYolo(OptionsFor(kind)).Fit(data);
        var results = detector.Columns.ReadDetections(detector.Transform(data)).ToArray();
        Assert.AreEqual(images.Count, results.Length);
        for (int i = 0; i < images.Count; i++)
            ExpectedDetections.AssertMatches(images[i], results[i], kind);
    }

    [TestMethod]
    public void PredictionEngineGivesTheSameDetectionsAsTransform()
    {
        var ml = new MLContext(seed: 1);
        var image = ExpectedDetections.Images("yolov8")[1];
        var loader = ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(ImagePath.Path))
            .Fit(ml.Data.LoadFromEnumerable(Array.Empty<ImagePath>()));
        var data = loader.Transform(ml.Data.LoadFromEnumerable(new[] { new ImagePath { Path = image.Path } }));
        using var detector = ml.Transforms.DetectObjectsYolo(OptionsFor("yolov8")).Fit(data);
        var engine = ml.Model.CreatePredictionEngine<ImagePath, Prediction>(loader.Append(detector));
        for (int repeat = 0; repeat < 2; repeat++)
        {
            var prediction = engine.Predict(new ImagePath { Path = image.Path });
            var detections = detector.Columns.ToDetections(new VBuffer<uint>(prediction.PredictedLabel.Length, prediction.PredictedLabel),
                new VBuffer<float>(prediction.Score.Length, prediction.Score), new VBuffer<float>(prediction.PredictedBoundingBoxes.Length, prediction.PredictedBoundingBoxes));
            ExpectedDetections.AssertMatches(image, detections, $"PredictionEngine call {repeat + 1}");
        }
    }

    [TestMethod]
    public void AnUndecodableImageInABatchLosesOnlyItsOwnRow()
    {
        var ml = new MLContext(seed: 1);
        var images = ExpectedDetections.Images("yolov8");
        string broken = Path.Combine(Path.GetTempPath(), $"dx-broken-{Guid.NewGuid():N}.png");
        File.WriteAllBytes(broken, new byte[] { 0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4, 5 });
        try
        {
            var paths = new[] { images[0].Path, broken, images[1].Path, images[2].Path };
            var data = LoadImages(ml, paths);
            var options = OptionsFor("yolov8");
            options.BatchSize = 4;
            using var detector = ml.Transforms.DetectObjectsYolo(options).Fit(data);
            var results = detector.Columns.ReadDetections(detector.Transform(data)).ToArray();
            Assert.AreEqual(4, results.Length);
            ExpectedDetections.AssertMatches(images[0], results[0], "row 0");
            Assert.AreEqual(0, results[1].Count, "the undecodable image gets no detections");
            ExpectedDetections.AssertMatches(images[1], results[2], "row 2");
            ExpectedDetections.AssertMatches(images[2], results[3], "row 3");
        }
        finally
        {
            File.Delete(broken);
        }
    }

    [TestMethod]
    public void BatchSizeDoesNotChangeTheDetections()
    {
        var ml = new MLContext(seed: 1);
        var images = ExpectedDetections.Images("yolov8");
        var data = LoadImages(ml, images.Select(i => i.Path));
        foreach (int batch in new[] { 1, 3 })
        {
            var options = OptionsFor("yolov8");
            options.BatchSize = batch;
            using var detector = ml.Transforms.DetectObjectsYolo(options).Fit(data);
            var results = detector.Columns.ReadDetections(detector.Transform(data)).ToArray();
            for (int i = 0; i < images.Count; i++)
                ExpectedDetections.AssertMatches(images[i], results[i], $"batch size {batch}");
        }
    }

    [TestMethod]
    public void AskingForTheWrongVersionSaysWhatTheFileLooksLike()
    {
        var ml = new MLContext(seed: 1);
        var options = OptionsFor("yolov5");
        options.Version = YoloVersion.V8;
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.DetectObjectsYolo(options));
        StringAssert.Contains(error.Message, "does not have the YOLOv8 layout");
        StringAssert.Contains(error.Message, "looks like a YOLOv5 export");
        StringAssert.Contains(error.Message, "Ask for YOLOv5 instead");

        options = OptionsFor("yolov8");
        options.Version = YoloVersion.V3;
        error = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.DetectObjectsYolo(options));
        StringAssert.Contains(error.Message, "looks like a YOLOv8-or-later export");
    }

    [TestMethod]
    public void MissingClassNamesAreAClearError()
    {
        var ml = new MLContext(seed: 1);
        var options = OptionsFor("yolov3");
        options.ClassNamesFile = null;
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.DetectObjectsYolo(options));
        StringAssert.Contains(error.Message, "has no class names in its metadata");
        StringAssert.Contains(error.Message, "5 expected");
    }

    [TestMethod]
    public void ClassNamesComeFromUltralyticsMetadataOrTheOptions()
    {
        var ml = new MLContext(seed: 1);
        using var fromMetadata = YoloObjectDetector.Create(ml, OptionsFor("yolov8"));
        CollectionAssert.AreEqual(new[] { "person", "bicycle", "car", "motorcycle", "airplane" }, fromMetadata.ClassNames.ToArray());

        var options = OptionsFor("yolov8");
        options.ClassNames = new[] { "a", "b", "c" };
        var error = Assert.ThrowsExactly<InvalidDataException>(() => YoloObjectDetector.Create(ml, options));
        StringAssert.Contains(error.Message, "predicts 5 classes, but ClassNames has 3 names");
    }

    [TestMethod]
    public void ACorruptOnnxFileIsAClearError()
    {
        var ml = new MLContext(seed: 1);
        string corrupt = Path.Combine(Path.GetTempPath(), $"dx-corrupt-{Guid.NewGuid():N}.onnx");
        var bytes = File.ReadAllBytes(ExpectedDetections.ModelFile("yolov8"));
        File.WriteAllBytes(corrupt, bytes.AsSpan(0, bytes.Length / 3).ToArray());
        try
        {
            var options = OptionsFor("yolov8");
            options.ModelPath = corrupt;
            var error = Assert.ThrowsExactly<InvalidDataException>(() => ml.Transforms.DetectObjectsYolo(options));
            StringAssert.Contains(error.Message, "is not a readable ONNX model");
        }
        finally
        {
            File.Delete(corrupt);
        }
    }

    [TestMethod]
    public void CudaWithoutTheProviderFailsOrFallsBackAsMLContextSays()
    {
        var options = OptionsFor("yolov8");
        options.Device = ComputeDevice.Cuda;
        var strict = new MLContext(seed: 1);
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => YoloObjectDetector.Create(strict, options));
        StringAssert.Contains(error.Message, "no CUDA execution provider");
        StringAssert.Contains(error.Message, "FallbackToCpu");

        var lenient = new MLContext(seed: 1) { FallbackToCpu = true };
        using var detector = YoloObjectDetector.Create(lenient, options);
        Assert.AreEqual("cpu", detector.Device);
    }

    [TestMethod]
    public void BadOptionsNameTheOptionAndValue()
    {
        var ml = new MLContext(seed: 1);
        var options = OptionsFor("yolov8");
        options.ConfidenceThreshold = 1.5f;
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => YoloObjectDetector.Create(ml, options));
        StringAssert.Contains(error.Message, "ConfidenceThreshold must be in [0, 1), got 1.5");
        options = OptionsFor("yolov8");
        options.ModelPath = "/nonexistent/model.onnx";
        Assert.ThrowsExactly<FileNotFoundException>(() => YoloObjectDetector.Create(ml, options));
    }

    internal sealed class Prediction
    {
        [KeyType(5)]
        public uint[] PredictedLabel { get; set; } = Array.Empty<uint>();

        public float[] Score { get; set; } = Array.Empty<float>();

        public float[] PredictedBoundingBoxes { get; set; } = Array.Empty<float>();
    }
}
