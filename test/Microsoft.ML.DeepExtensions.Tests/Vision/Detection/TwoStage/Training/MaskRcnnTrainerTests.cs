using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Training;
using Microsoft.ML.DeepExtensions.Vision;
using Microsoft.ML.DeepExtensions.Vision.Data;
using Microsoft.ML.DeepExtensions.Vision.Data.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection.Segmentation;
using Microsoft.ML.DeepExtensions.Vision.Detection.Training;
using Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;
using Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage.Training;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.TwoStage.Training;

/// <summary>
/// The Mask R-CNN trainer on the shared detection path, on the COCO sample with polygon outlines that
/// make_detection_sample.py wrote (Vision/Data/Detection/Layouts/coco-yolo: four 160 × 160 training images): one epoch of a
/// small ResNet-18 FPN reports the five named loss parts and the validation's mask metrics, the fitted detector writes masks that fit its boxes, and scores the
/// same after model.zip, in a fresh process and through a PredictionEngine; data without outlines is refused by name.
/// </summary>
[TestClass]
public sealed class MaskRcnnTrainerTests
{
    private static readonly string Coco = Path.Combine(AppContext.BaseDirectory, "Vision", "Data", "Detection", "Layouts", "coco-yolo", "annotations");
    private static MaskRcnnDetector _model = null!;
    private static MaskRcnnTrainer _trainer = null!;

    private static string TrainJson => Path.Combine(Coco, "instances_train.json");

    private static string TestJson => Path.Combine(Coco, "instances_test.json");

    /// <summary>ResNet-18 with a 16-channel pyramid, a box head of 32, a mask head of two 16-channel convolutions, 64 × 64 inputs: seconds on a CPU.</summary>
    internal static MaskRcnnTrainer.Options SmallOptions(int epochs) => new()
    {
        ImageSize = 64,
        Epochs = epochs,
        FpnChannels = 16,
        AnchorSizes = new[] { new[] { 8f }, new[] { 16f }, new[] { 32f }, new[] { 64f }, new[] { 128f } },
        Rpn = new RpnSettings { PreNmsTopNTraining = 200, PostNmsTopNTraining = 100, PreNmsTopNTesting = 100, PostNmsTopNTesting = 30, BatchSizePerImage = 64 },
        RoIHeads = new RoIHeadSettings { BatchSizePerImage = 32, RepresentationSize = 32 },
        MaskHead = new MaskHeadSettings { Layers = new[] { 16, 16 }, PredictorChannels = 16 },
        MaxDetections = 10,
        Augmentation = DetectionAugmentationOptions.None,
        BatchSize = Microsoft.ML.DeepExtensions.Training.BatchSize.Of(4),
        Seed = 3,
        Device = ComputeDevice.Cpu,
    };

    [ClassInitialize]
    public static void TrainOnce(TestContext context)
    {
        var ml = new MLContext(seed: 1);
        var options = SmallOptions(epochs: 1);
        options.ValidationData = ml.Data.LoadCocoDetection(TestJson);
        _trainer = ml.ObjectDetection().Trainers.MaskRcnn(options);
        _model = _trainer.Fit(ml.Data.LoadCocoDetection(TrainJson));
    }

    [ClassCleanup]
    public static void Cleanup() => _model?.Dispose();

    [TestMethod]
    public void OneEpochReportsTheFiveLossParts()
    {
        var epoch = _trainer.TrainingHistory.Single();
        CollectionAssert.AreEqual(new[] { "rpn-objectness", "rpn-box", "classifier", "box", "mask" }, epoch.LossParts!.Keys.ToArray());
        Assert.AreEqual(epoch.TrainingLoss, epoch.LossParts.Values.Sum(), 1e-4 * epoch.TrainingLoss, "the parts add up to the loss");
        // Binary cross-entropy of near-random logits against mostly-0/1 targets: about ln 2.
        Assert.IsTrue(epoch.LossParts["mask"] is > 0.1 and < 5, $"mask loss {epoch.LossParts["mask"]}");
        // The validation reports the masks' COCO metrics beside the boxes'.
        CollectionAssert.AreEqual(new[] { "AP50", "MaskAP", "MaskAP50" }, epoch.ValidationMetrics!.Keys.ToArray());
        Assert.IsTrue(epoch.ValidationMetrics["MaskAP50"] is >= 0 and <= 1 && epoch.ValidationMetrics["MaskAP50"] >= epoch.ValidationMetrics["MaskAP"], string.Join(", ", epoch.ValidationMetrics));
        CollectionAssert.AreEqual(FashionMnist.ClassNames.ToArray(), _model.ClassNames.ToArray());
        Assert.AreEqual(DetectionColumns.DefaultPredictedMasksColumnName, _model.Columns.PredictedMasksColumnName);
        Assert.IsTrue(_model.Network.HasMasks);
    }

    [TestMethod]
    public void TheDetectorWritesOneMaskPerDetectionOverItsBox()
    {
        var ml = new MLContext(seed: 1);
        var scored = _model.Transform(ml.Data.LoadCocoDetection(TestJson));
        var rows = Rows(scored);
        Assert.IsTrue(rows.Sum(r => r.Scores.Length) > 0, "the model finds something");
        foreach (var row in rows)
        {
            // FromColumns checks that the column holds exactly the pixels of each box rounded out.
            var masks = InstanceMasks.FromColumns(row.Boxes, row.Masks);
            Assert.AreEqual(row.Scores.Length, masks.Length);
            Assert.IsTrue(row.Masks.All(v => v <= 1), "masks are 0 or 1");
        }
        var image = MLImage.CreateFromFile(ml.Data.LoadCocoDetection(TestJson).Preview().RowView[0].Values.First(v => v.Key == "ImagePath").Value.ToString()!);
        var single = _model.Detect(image);
        Assert.IsNotNull(single.Masks);
        Assert.AreEqual(single.Count, single.Masks.Count);
    }

    [TestMethod]
    public void ASavedModelLoadsBackAndScoresTheSame_InThisProcessAFreshOneAndAPredictionEngine()
    {
        var ml = new MLContext(seed: 1).RegisterDeepExtensions();
        var view = ml.Data.LoadCocoDetection(TestJson);
        string path = Path.Combine(Path.GetTempPath(), $"dx-mrcnn-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(_model, view.Schema, path);
            var expected = Score(ml, _model, TestJson).ToArray();
            var loaded = ml.Model.Load(path, out _);
            Assert.IsInstanceOfType<MaskRcnnDetector>(loaded);
            CollectionAssert.AreEqual(expected, Score(ml, loaded, TestJson).ToArray(), "the same detections and masks after model.zip");
            (loaded as IDisposable)?.Dispose();

            var result = Persistence.FreshProcessLoader.Run(path, register: true, scenario: "mask-rcnn-trained:" + TestJson);
            Assert.AreEqual(0, result.ExitCode, string.Join("\n", result.Lines) + result.StandardError);
            var lines = result.Lines.Where(l => !l.StartsWith("loaderKnownBeforeLoad=", StringComparison.Ordinal)).ToArray();
            CollectionAssert.AreEqual(expected, lines, "the same detections and masks, to the last bit, in a fresh process");

            // A PredictionEngine detects one image per call: the same as detecting that image alone (a batch of one).
            var engine = ml.Model.CreatePredictionEngine<ImageRow, MaskPrediction>(_model);
            using var image = MLImage.CreateFromFile(Paths(view)[0]);
            var alone = _model.Detect(image);
            var predicted = engine.Predict(new ImageRow { Image = image });
            Assert.IsTrue(alone.Count > 0, "the image has detections");
            CollectionAssert.AreEqual(alone.Scores.ToArray(), predicted.Score);
            CollectionAssert.AreEqual(alone.Masks!.SelectMany(m => m.Pixels.ToArray()).ToArray(), predicted.PredictedMasks);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void DataWithoutOutlinesIsRefusedByName_AndTheAugmentationsTrainWithMasks()
    {
        var ml = new MLContext(seed: 1);
        var trainers = ml.ObjectDetection().Trainers;
        var noColumn = ml.Transforms.DropColumns(DetectionDataView.SegmentationColumnName).Fit(ml.Data.LoadCocoDetection(TrainJson)).Transform(ml.Data.LoadCocoDetection(TrainJson));
        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.MaskRcnn(SmallOptions(1)).Fit(noColumn));
        StringAssert.Contains(missing.Message, "Mask column 'Segmentation' not found in the training data");

        using var shapes = SyntheticDetectionData.Create(2, seed: 5);
        var withoutOutlines = Assert.ThrowsExactly<InvalidDataException>(() => trainers.MaskRcnn(SmallOptions(1)).Fit(shapes.Dataset.ToDataView()));
        StringAssert.Contains(withoutOutlines.Message, "row 1: object 0 has no outline in column 'Segmentation'");

        Assert.IsFalse(new MaskRcnnTrainer.Options().Augmentation.IsIdentity, "Mask R-CNN augments by default, as every detector");
        var augmented = SmallOptions(1);
        augmented.Augmentation = new DetectionAugmentationOptions { Mosaic = 1 }; // every augmentation, mosaic on every image
        var augmentedTrainer = trainers.MaskRcnn(augmented);
        using (augmentedTrainer.Fit(ml.Data.LoadCocoDetection(TrainJson)))
            Assert.IsTrue(double.IsFinite(augmentedTrainer.TrainingHistory.Single().LossParts!["mask"]), "the masks train through the augmentations");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.MaskRcnn(new MaskRcnnTrainer.Options { MaskHead = new MaskHeadSettings { Layers = Array.Empty<int>() } })).Message, "MaskHeadSettings.Layers");
    }

    /// <summary>One line per image of the COCO file: label, score, box and mask pixels of each detection, round-trip formatted.</summary>
    internal static IEnumerable<string> Score(MLContext ml, ITransformer model, string cocoPath) =>
        Rows(model.Transform(ml.Data.LoadCocoDetection(cocoPath))).Select(row => string.Join(";", row.Scores.Select((score, k) =>
            string.Join(",", new[] { row.Labels[k].ToString(CultureInfo.InvariantCulture), score.ToString("R", CultureInfo.InvariantCulture) }
                .Concat(row.Boxes.Skip(4 * k).Take(4).Select(v => v.ToString("R", CultureInfo.InvariantCulture))))))
            + "|" + Convert.ToHexString(row.Masks));

    private sealed record Row(float[] Boxes, float[] Scores, uint[] Labels, byte[] Masks);

    private static List<Row> Rows(IDataView scored)
    {
        var result = new List<Row>();
        var columns = new[] { scored.Schema["PredictedBoundingBoxes"], scored.Schema["Score"], scored.Schema["PredictedLabel"], scored.Schema["PredictedMasks"] };
        using var cursor = scored.GetRowCursor(columns);
        var boxes = cursor.GetGetter<VBuffer<float>>(columns[0]);
        var scores = cursor.GetGetter<VBuffer<float>>(columns[1]);
        var labels = cursor.GetGetter<VBuffer<uint>>(columns[2]);
        var masks = cursor.GetGetter<VBuffer<byte>>(columns[3]);
        VBuffer<float> b = default, s = default;
        VBuffer<uint> l = default;
        VBuffer<byte> m = default;
        while (cursor.MoveNext())
        {
            boxes(ref b);
            scores(ref s);
            labels(ref l);
            masks(ref m);
            result.Add(new Row(b.DenseValues().ToArray(), s.DenseValues().ToArray(), l.DenseValues().ToArray(), m.DenseValues().ToArray()));
        }
        return result;
    }

    private static string[] Paths(IDataView view)
    {
        var column = view.Schema[DetectionDataView.ImagePathColumnName];
        using var cursor = view.GetRowCursor(new[] { column });
        var get = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        var paths = new List<string>();
        ReadOnlyMemory<char> value = default;
        while (cursor.MoveNext())
        {
            get(ref value);
            paths.Add(value.ToString());
        }
        return paths.ToArray();
    }

    private sealed class ImageRow
    {
        [ImageType(160, 160)]
        public MLImage Image { get; set; } = null!;
    }

    private sealed class MaskPrediction
    {
        public float[] Score { get; set; } = Array.Empty<float>();

        public byte[] PredictedMasks { get; set; } = Array.Empty<byte>();
    }
}
