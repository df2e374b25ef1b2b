using System.Globalization;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Models;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Yolo;
using Microsoft.ML.DeepExtensions.Tests.Persistence;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection.Rcnn;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection;

/// <summary>
/// The ONNX detectors inside model.zip: the ONNX bytes and settings are saved with the pipeline and a brand-new
/// process (FreshProcessLoader) loads and scores it, giving the reference detections.
/// </summary>
[TestClass]
public sealed class OnnxDetectorPersistenceTests
{
    [TestMethod]
    [DataRow("yolov8")]
    [DataRow("mask-rcnn")]
    public void AFreshProcessLoadsTheSavedPipelineAndDetectsTheSame(string kind)
    {
        var ml = new MLContext(seed: 1);
        var images = ExpectedDetections.Images(kind);
        var data = YoloObjectDetectorTests.LoadImages(ml, images.Select(i => i.Path));
        ITransformer detector = kind switch
        {
            "mask-rcnn" => ml.Transforms.DetectObjectsRcnn(new RcnnObjectDetector.Options
            {
                ModelPath = ExpectedDetections.ModelFile(kind),
                Variant = RcnnVariant.MaskRcnn,
                ClassNamesFile = ExpectedDetections.PathOf("rcnn_classes.txt"),
                ConfidenceThreshold = 0f,
                Device = ComputeDevice.Cpu,
            }).Fit(data),
            _ => ml.Transforms.DetectObjectsYolo(new YoloObjectDetector.Options
            {
                ModelPath = ExpectedDetections.ModelFile(kind),
                Version = kind == "yolov3" ? YoloVersion.V3 : YoloVersion.V8,
                ClassNamesFile = kind == "yolov3" ? ExpectedDetections.PathOf("yolo_classes.txt") : null,
                BatchSize = 2,
            }).Fit(data),
        };
        string path = Path.Combine(Path.GetTempPath(), $"dx-detector-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(detector, data.Schema, path);
            (detector as IDisposable)?.Dispose();
            var result = FreshProcessLoader.Run(path, register: true, scenario: "detect:" + kind);
            Assert.AreEqual(0, result.ExitCode, string.Join("\n", result.Lines) + result.StandardError);
            // FreshProcessLoader's child starts with a line of its own about the persistence test transformer.
            var detections = result.Lines.Where(l => !l.StartsWith("loaderKnownBeforeLoad=", StringComparison.Ordinal)).ToArray();
            Assert.AreEqual(images.Count, detections.Length, string.Join("\n", result.Lines));
            for (int i = 0; i < images.Count; i++)
                ExpectedDetections.AssertMatches(images[i], Parse(detections[i]), "loaded in a fresh process");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    [DataRow("yolov3")]
    [DataRow("yolov5")]
    [DataRow("faster-rcnn")]
    public void ASavedDetectorLoadsBackWithItsSettings(string kind)
    {
        var ml = new MLContext(seed: 1).RegisterDeepExtensions();
        var images = ExpectedDetections.Images(kind);
        var data = YoloObjectDetectorTests.LoadImages(ml, images.Select(i => i.Path));
        ITransformer detector = kind == "faster-rcnn"
            ? ml.Transforms.DetectObjectsRcnn(new RcnnObjectDetector.Options
            {
                ModelPath = ExpectedDetections.ModelFile(kind),
                ClassNamesFile = ExpectedDetections.PathOf("rcnn_classes.txt"),
                ConfidenceThreshold = 0f,
                MaxDetections = 3,
            }).Fit(data)
            : ml.Transforms.DetectObjectsYolo(new YoloObjectDetector.Options
            {
                ModelPath = ExpectedDetections.ModelFile(kind),
                Version = kind == "yolov3" ? YoloVersion.V3 : YoloVersion.V5,
                ClassNames = File.ReadAllLines(ExpectedDetections.PathOf("yolo_classes.txt")).Where(l => l.Length > 0).ToArray(),
                MaxDetections = 3,
            }).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.Save(detector, data.Schema, stream);
        stream.Position = 0;
        var loaded = ml.Model.Load(stream, out _);
        var restored = loaded as ObjectDetectionTransformer ?? (ObjectDetectionTransformer)((Microsoft.ML.Data.TransformerChain<ITransformer>)loaded).Single();
        Assert.AreEqual(detector.GetType(), restored.GetType());
        var results = restored.Columns.ReadDetections(loaded.Transform(data)).ToArray();
        for (int i = 0; i < images.Count; i++)
        {
            // MaxDetections = 3 travelled with the model: the first three reference detections.
            var expected = images[i] with { Detections = images[i].Detections.Take(3).ToArray() };
            ExpectedDetections.AssertMatches(expected, results[i], "loaded from model.zip");
        }
        (restored as IDisposable)?.Dispose();
        (detector as IDisposable)?.Dispose();
    }

    /// <summary>In the child process: scores the reference images with the loaded model, one line per image.</summary>
    internal static IEnumerable<string> Score(MLContext ml, ITransformer model, string kind)
    {
        var data = YoloObjectDetectorTests.LoadImages(ml, ExpectedDetections.Images(kind).Select(i => i.Path));
        var columns = new DetectionColumns(kind.EndsWith("rcnn", StringComparison.Ordinal)
            ? File.ReadAllLines(ExpectedDetections.PathOf("rcnn_classes.txt")).Where(l => l.Length > 0).ToArray()
            : File.ReadAllLines(ExpectedDetections.PathOf("yolo_classes.txt")).Where(l => l.Length > 0).ToArray());
        foreach (var detections in columns.ReadDetections(model.Transform(data)))
        {
            yield return string.Join(";", Enumerable.Range(0, detections.Count).Select(i =>
            {
                var d = detections[i];
                return string.Join(",", new[] { d.ClassIndex, d.Score, d.X0, d.Y0, d.X1, d.Y1 }.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)));
            }));
        }
    }

    private static ObjectDetections Parse(string line)
    {
        var items = line.Length == 0 ? Array.Empty<string[]>() : line.Split(';').Select(d => d.Split(',')).ToArray();
        return new ObjectDetections(
            items.SelectMany(d => d[2..].Select(v => float.Parse(v, CultureInfo.InvariantCulture))).ToArray(),
            items.Select(d => int.Parse(d[0], CultureInfo.InvariantCulture)).ToArray(),
            items.Select(d => float.Parse(d[1], CultureInfo.InvariantCulture)).ToArray());
    }
}
