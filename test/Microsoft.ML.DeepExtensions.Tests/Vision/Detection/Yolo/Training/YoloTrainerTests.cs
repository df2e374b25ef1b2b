using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Training;
using Microsoft.ML.DeepExtensions.Vision.Data.Detection;
using Microsoft.ML.DeepExtensions.Vision;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection.Training;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo.Training;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Yolo.Training;

/// <summary>
/// The YOLO trainer end to end on generated shapes: it learns them (COCO AP50 on held-out images), reports its loss
/// parts and validation AP, and its detector scores the same after model.zip, a fresh process, and a Darknet export.
/// One small model is trained once for the class and shared.
/// </summary>
[TestClass]
public sealed class YoloTrainerTests
{
    private static SyntheticDetectionData _train = null!;
    private static SyntheticDetectionData _test = null!;
    private static DarknetYoloDetector _model = null!;
    private static YoloTrainer _trainer = null!;

    internal static YoloTrainer.Options SmallOptions(int epochs) => new()
    {
        Architecture = "yolov3-tiny:width=0.5",
        ImageSize = 96,
        Epochs = epochs,
        Optimizer = new Microsoft.ML.DeepExtensions.Optimizers.Adam(learningRate: 0.001),
        BatchSize = Microsoft.ML.DeepExtensions.Training.BatchSize.Of(8),
        Augmentation = new DetectionAugmentationOptions { Mosaic = 0, Hue = 0, Saturation = 0.3, Value = 0.3, Scale = 0.1, Translate = 0.05 },
        Seed = 3,
        Device = ComputeDevice.Cpu,
    };

    internal static SyntheticDetectionData Shapes(int count, int seed) =>
        SyntheticDetectionData.Create(count, seed, width: 96, height: 96, minSide: 16, maxSide: 40);

    [ClassInitialize]
    public static void TrainOnce(TestContext context)
    {
        _train = Shapes(64, seed: 1);
        _test = Shapes(16, seed: 2);
        var ml = new MLContext(seed: 1);
        var options = SmallOptions(epochs: 30);
        options.ValidationData = _test.Dataset.ToDataView();
        options.EarlyStoppingPatience = 0;
        _trainer = ml.ObjectDetection().Trainers.Yolo(options);
        _model = _trainer.Fit(_train.Dataset.ToDataView());
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        _model?.Dispose();
        _train?.Dispose();
        _test?.Dispose();
    }

    [TestMethod]
    public void LearnsTheShapesOfHeldOutImages()
    {
        var ml = new MLContext(seed: 1);
        var metrics = ml.ObjectDetection().Evaluate(_model.Transform(_test.Dataset.ToDataView()));
        // 64 training images, 30 short epochs: measured 0.76 on this machine; well above chance, which is about 0.
        Assert.IsTrue(metrics.AP50 >= 0.5, $"held-out AP50 {metrics.AP50:F3} (AP {metrics.AP:F3}) " + string.Join("\n", _trainer.TrainingHistory));
        CollectionAssert.AreEqual(SyntheticDetectionData.ClassNames, _model.ClassNames.ToArray());
    }

    [TestMethod]
    public void ReportsTheLossPartsAndTheValidationApEachEpoch()
    {
        var history = _trainer.TrainingHistory;
        Assert.AreEqual(30, history.Count);
        foreach (var epoch in history)
        {
            CollectionAssert.AreEqual(new[] { "box", "objectness", "class" }, epoch.LossParts!.Keys.ToArray());
            Assert.AreEqual(epoch.TrainingLoss, epoch.LossParts.Values.Sum(), 1e-4 * epoch.TrainingLoss, $"epoch {epoch.Epoch}: the parts add up to the loss");
            Assert.AreEqual("AP", epoch.ValidationMetricName);
            Assert.IsNotNull(epoch.ValidationMetric);
            Assert.IsTrue(epoch.ValidationMetrics!["AP50"] >= epoch.ValidationMetric!.Value, "AP50 is at least AP");
        }
        Assert.IsTrue(history[^1].TrainingLoss < history[0].TrainingLoss / 2, $"loss {history[0].TrainingLoss} -> {history[^1].TrainingLoss}");
        // Early stopping's bookkeeping keeps the best validation AP's weights.
        double best = history.Max(p => p.ValidationMetric!.Value);
        var ml = new MLContext(seed: 1);
        var trainOnTest = ml.ObjectDetection().Evaluate(_model.Transform(_test.Dataset.ToDataView()));
        Assert.AreEqual(best, trainOnTest.AP, 0.02, "the returned weights are the best epoch's (AP in letterboxed pixels equals AP in the image's)");
    }

    [TestMethod]
    public void ASavedModelLoadsBackAndDetectsTheSame()
    {
        var ml = new MLContext(seed: 1).RegisterDeepExtensions();
        var view = _test.Dataset.ToDataView();
        string path = Path.Combine(Path.GetTempPath(), $"dx-yolo-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(_model, view.Schema, path);
            var loaded = ml.Model.Load(path, out _);
            var expected = Detections(_model.Transform(view));
            var actual = Detections(loaded.Transform(view));
            Assert.IsTrue(expected.Sum(e => e.Scores.Length) > 0, "the model finds something");
            AssertSame(expected, actual, 0, "after model.zip");
            (loaded as IDisposable)?.Dispose();
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void AFreshProcessLoadsTheModelAndDetectsTheSame() => AssertAFreshProcessDetectsTheSame(_model, _test, "yolo");

    /// <summary>
    /// Saves <paramref name="model"/> (a trained detector), loads it in a fresh process that knows only
    /// <c>RegisterDeepExtensions()</c>, scores <paramref name="test"/>'s images there and here, and requires the same
    /// detections to the last bit (shared by the detector trainers' tests).
    /// </summary>
    internal static void AssertAFreshProcessDetectsTheSame(ITransformer model, SyntheticDetectionData test, string name)
    {
        var ml = new MLContext(seed: 1);
        string coco = Path.Combine(test.Folder, "instances.json");
        test.Dataset.WriteCoco(coco);
        string path = Path.Combine(Path.GetTempPath(), $"dx-{name}-fresh-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, test.Dataset.ToDataView().Schema, path);
            var result = Persistence.FreshProcessLoader.Run(path, register: true, scenario: "yolo-trained:" + coco);
            Assert.AreEqual(0, result.ExitCode, string.Join("\n", result.Lines) + result.StandardError);
            var lines = result.Lines.Where(l => !l.StartsWith("loaderKnownBeforeLoad=", StringComparison.Ordinal)).ToArray();
            var expected = Score(ml, model, coco).ToArray();
            Assert.IsTrue(expected.Any(l => l.Length > 0), "the model finds something");
            CollectionAssert.AreEqual(expected, lines, "the same detections, to the last bit, in a fresh process");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>One line per image of the COCO file: label, score and box of each detection, round-trip formatted.</summary>
    internal static IEnumerable<string> Score(MLContext ml, ITransformer model, string cocoPath) =>
        Detections(model.Transform(ml.Data.LoadCocoDetection(cocoPath))).Select(row => string.Join(";", row.Scores.Select((score, k) =>
            string.Join(",", new[] { row.Labels[k].ToString(System.Globalization.CultureInfo.InvariantCulture), score.ToString("R", System.Globalization.CultureInfo.InvariantCulture) }
                .Concat(row.Boxes.Skip(4 * k).Take(4).Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))))));

    [TestMethod]
    public void TheDarknetExportRunsAsADarknetModelWithTheSameDetections()
    {
        var ml = new MLContext(seed: 1);
        var folder = Path.Combine(Path.GetTempPath(), $"dx-export-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            string cfg = Path.Combine(folder, "model.cfg"), weights = Path.Combine(folder, "model.weights");
            _model.ExportDarknet(cfg, weights);
            Assert.ThrowsExactly<IOException>(() => _model.ExportDarknet(cfg, weights), "nothing is overwritten without asking");
            using var darknet = DarknetYoloDetector.FromDarknet(ml, cfg, weights, SyntheticDetectionData.ClassNames,
                new DarknetDetectorOptions { ConfidenceThreshold = _model.ConfidenceThreshold, Device = ComputeDevice.Cpu });
            var view = _test.Dataset.ToDataView();
            AssertSame(Detections(_model.Transform(view)), Detections(darknet.Transform(view)), 1e-3f, "after the Darknet export");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void TheSameSeedTrainsTheSameDetector()
    {
        var ml = new MLContext(seed: 1);
        var view = _train.Dataset.ToDataView();
        using var first = ml.ObjectDetection().Trainers.Yolo(SmallOptions(epochs: 2)).Fit(view);
        using var second = ml.ObjectDetection().Trainers.Yolo(SmallOptions(epochs: 2)).Fit(view);
        var a = first.Network.state_dict();
        var b = second.Network.state_dict();
        foreach (var (name, tensor) in a)
            Assert.IsTrue(tensor.to_type(TorchSharp.torch.ScalarType.Float64).allclose(b[name].to_type(TorchSharp.torch.ScalarType.Float64), 0, 0), $"parameter {name} differs between two runs with the same seed");
    }

    [TestMethod]
    public void ACancelledTokenStopsTraining()
    {
        var ml = new MLContext(seed: 1);
        var options = SmallOptions(epochs: 5);
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        options.CancellationToken = cancellation.Token;
        Assert.ThrowsExactly<OperationCanceledException>(() => ml.ObjectDetection().Trainers.Yolo(options).Fit(_train.Dataset.ToDataView()));
    }

    [TestMethod]
    public void BadOptionsAreRefusedByName()
    {
        var ml = new MLContext(seed: 1);
        var trainers = ml.ObjectDetection().Trainers;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.Yolo(new YoloTrainer.Options { Architecture = "yolov9" })).Message, "yolov3-tiny");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.Yolo(new YoloTrainer.Options { ImageSize = 100 })).Message, "ImageSize must be a multiple of 32");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.Yolo(new YoloTrainer.Options { Loss = new Microsoft.ML.DeepExtensions.Losses.L2Loss() })).Message, "Loss");
        StringAssert.Contains(Assert.ThrowsExactly<FileNotFoundException>(() => trainers.Yolo(new YoloTrainer.Options { InitialWeightsPath = "/nonexistent.weights" })).Message, "/nonexistent.weights");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.Yolo(new YoloTrainer.Options { ClassLossWeight = 0 })).Message, "ClassLossWeight must be positive");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.Yolo(new YoloTrainer.Options { ClassLossWeight = float.NaN })).Message, "ClassLossWeight");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.Yolo(new YoloTrainer.Options { Augmentation = new DetectionAugmentationOptions { Mosaic = 2 } })).Message, "Augmentation.Mosaic");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => YoloArchitectures.Get("yolov3-tiny:width=0")).Message, "width");
    }

    [TestMethod]
    public void BadDetectionColumnsAreRefusedWithTheRowAndColumn()
    {
        var ml = new MLContext(seed: 1);
        var rows = new[]
        {
            new LabelledImage { ImagePath = _train.Dataset.Images[0].Path, Classes = new[] { "square" }, Box = new[] { 1f, 2f, 20f, 30f } },
            new LabelledImage { ImagePath = _train.Dataset.Images[1].Path, Classes = new[] { "square", "disc" }, Box = new[] { 1f, 2f, 20f, 30f } },
        };
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", "Classes")
            .Append(ml.Transforms.LoadImages("Image", null, "ImagePath"));
        var prepared = pipeline.Fit(data).Transform(data);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => ml.ObjectDetection().Trainers.Yolo(SmallOptions(1)).Fit(prepared));
        StringAssert.Contains(error.Message, "Row 2");
        StringAssert.Contains(error.Message, "'Box'");

        var noBox = ml.Transforms.Conversion.MapValueToKey("Label", "Classes").Append(ml.Transforms.LoadImages("Image", null, "ImagePath")).Fit(data).Transform(data);
        var options = SmallOptions(1);
        options.BoxColumnName = "Boxes";
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.ObjectDetection().Trainers.Yolo(options).Fit(noBox)).Message, "'Boxes' not found");
    }

    private sealed class LabelledImage
    {
        public string ImagePath { get; set; } = "";

        public string[] Classes { get; set; } = Array.Empty<string>();

        public float[] Box { get; set; } = Array.Empty<float>();
    }

    internal sealed record RowDetections(float[] Boxes, float[] Scores, uint[] Labels);

    internal static List<RowDetections> Detections(IDataView scored)
    {
        var result = new List<RowDetections>();
        var columns = new[] { scored.Schema["PredictedBoundingBoxes"], scored.Schema["Score"], scored.Schema["PredictedLabel"] };
        using var cursor = scored.GetRowCursor(columns);
        var boxes = cursor.GetGetter<VBuffer<float>>(columns[0]);
        var scores = cursor.GetGetter<VBuffer<float>>(columns[1]);
        var labels = cursor.GetGetter<VBuffer<uint>>(columns[2]);
        VBuffer<float> b = default, s = default;
        VBuffer<uint> l = default;
        while (cursor.MoveNext())
        {
            boxes(ref b);
            scores(ref s);
            labels(ref l);
            result.Add(new RowDetections(b.DenseValues().ToArray(), s.DenseValues().ToArray(), l.DenseValues().ToArray()));
        }
        return result;
    }

    internal static void AssertSame(IReadOnlyList<RowDetections> expected, IReadOnlyList<RowDetections> actual, float tolerance, string what)
    {
        Assert.AreEqual(expected.Count, actual.Count, what);
        for (int i = 0; i < expected.Count; i++)
        {
            CollectionAssert.AreEqual(expected[i].Labels, actual[i].Labels, $"{what}: labels of row {i}");
            Assert.AreEqual(expected[i].Scores.Length, actual[i].Scores.Length, $"{what}: detections of row {i}");
            for (int k = 0; k < expected[i].Scores.Length; k++)
                Assert.AreEqual(expected[i].Scores[k], actual[i].Scores[k], tolerance, $"{what}: score {k} of row {i}");
            for (int k = 0; k < expected[i].Boxes.Length; k++)
                Assert.AreEqual(expected[i].Boxes[k], actual[i].Boxes[k], tolerance * 100, $"{what}: box value {k} of row {i}");
        }
    }
}
