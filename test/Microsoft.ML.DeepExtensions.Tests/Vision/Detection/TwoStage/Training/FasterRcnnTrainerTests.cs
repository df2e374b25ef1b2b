using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Training;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Yolo.Training;
using Microsoft.ML.DeepExtensions.Vision;
using Microsoft.ML.DeepExtensions.Vision.Detection.Training;
using Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;
using Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage.Training;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.TwoStage.Training;

/// <summary>
/// The Faster R-CNN trainer on the shared detection path, on generated shapes: a few epochs of a small ResNet-18 FPN
/// lower its loss, report the four named parts and the validation AP, and the fitted detector scores the same after
/// model.zip. One small model is trained once for the class and shared.
/// </summary>
[TestClass]
public sealed class FasterRcnnTrainerTests
{
    private const int Epochs = 4;
    private static SyntheticDetectionData _train = null!;
    private static SyntheticDetectionData _test = null!;
    private static FasterRcnnDetector _model = null!;
    private static FasterRcnnTrainer _trainer = null!;

    /// <summary>ResNet-18 with a 32-channel pyramid, a box head of 64, few sampled anchors and proposals: seconds on a CPU.</summary>
    private static FasterRcnnTrainer.Options SmallOptions(int epochs) => new()
    {
        ImageSize = 64,
        Epochs = epochs,
        FpnChannels = 32,
        AnchorSizes = new[] { new[] { 8f }, new[] { 16f }, new[] { 32f }, new[] { 64f }, new[] { 128f } },
        Rpn = new RpnSettings { PreNmsTopNTraining = 300, PostNmsTopNTraining = 150, PreNmsTopNTesting = 150, PostNmsTopNTesting = 50, BatchSizePerImage = 64 },
        RoIHeads = new RoIHeadSettings { BatchSizePerImage = 64, RepresentationSize = 64 },
        Augmentation = DetectionAugmentationOptions.None,
        BatchSize = Microsoft.ML.DeepExtensions.Training.BatchSize.Of(4),
        Seed = 3,
        Device = ComputeDevice.Cpu,
    };

    [ClassInitialize]
    public static void TrainOnce(TestContext context)
    {
        _train = SyntheticDetectionData.Create(16, seed: 1, width: 64, height: 64, minSide: 12, maxSide: 28);
        _test = SyntheticDetectionData.Create(4, seed: 2, width: 64, height: 64, minSide: 12, maxSide: 28);
        var ml = new MLContext(seed: 1);
        var options = SmallOptions(Epochs);
        options.ValidationData = _test.Dataset.ToDataView();
        options.EarlyStoppingPatience = 0;
        _trainer = ml.ObjectDetection().Trainers.FasterRcnn(options);
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
    public void TrainingLowersTheLoss_AndReportsItsPartsAndValidationAP()
    {
        var history = _trainer.TrainingHistory;
        Assert.AreEqual(Epochs, history.Count);
        foreach (var epoch in history)
        {
            CollectionAssert.AreEqual(new[] { "rpn-objectness", "rpn-box", "classifier", "box" }, epoch.LossParts!.Keys.ToArray());
            Assert.AreEqual(epoch.TrainingLoss, epoch.LossParts.Values.Sum(), 1e-4 * epoch.TrainingLoss, $"epoch {epoch.Epoch}: the parts add up to the loss");
            Assert.AreEqual("AP", epoch.ValidationMetricName);
            Assert.IsNotNull(epoch.ValidationMetric);
        }
        Assert.IsTrue(history[^1].TrainingLoss < 0.8 * history[0].TrainingLoss, "loss " + string.Join(" -> ", history.Select(h => h.TrainingLoss.ToString("F4"))));
        CollectionAssert.AreEqual(SyntheticDetectionData.ClassNames, _model.ClassNames.ToArray());
        Assert.AreEqual(64, _model.ImageSize);
    }

    [TestMethod]
    public void ASavedModelLoadsBackAndDetectsTheSame()
    {
        var ml = new MLContext(seed: 1).RegisterDeepExtensions();
        var view = _test.Dataset.ToDataView();
        string path = Path.Combine(Path.GetTempPath(), $"dx-frcnn-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(_model, view.Schema, path);
            var loaded = ml.Model.Load(path, out _);
            var expected = YoloTrainerTests.Detections(_model.Transform(view));
            var actual = YoloTrainerTests.Detections(loaded.Transform(view));
            Assert.IsTrue(expected.Sum(e => e.Scores.Length) > 0, "the model finds something");
            YoloTrainerTests.AssertSame(expected, actual, 0, "after model.zip");
            (loaded as IDisposable)?.Dispose();
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// VGG-16 (with batch normalization, which from random weights trains in one epoch where the plain one barely moves) as
    /// the body, on its single stride-16 map with the paper's nine anchors and under a pyramid of four levels: the network
    /// has the cut's maps, one epoch trains, and model.zip (format version 4) gives back a VGG-16 detector that detects the same.
    /// </summary>
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void AVgg16BackboneTrainsAndLoadsBackFromModelZip(bool fpn)
    {
        var ml = new MLContext(seed: 1).RegisterDeepExtensions();
        var options = SmallOptions(1);
        options.Backbone = RcnnBackboneNetwork.Vgg16BatchNorm;
        options.Fpn = fpn;
        options.AnchorSizes = fpn ? new[] { new[] { 8f }, new[] { 16f }, new[] { 32f }, new[] { 64f } } : new[] { new[] { 12f, 24f, 48f } };
        options.ConfidenceThreshold = 0.001f; // after one epoch few scores reach 0.05: keep more, so the round trip compares detections
        var trainer = ml.ObjectDetection().Trainers.FasterRcnn(options);
        using var model = trainer.Fit(_train.Dataset.ToDataView());
        Assert.IsTrue(double.IsFinite(trainer.TrainingHistory.Single().TrainingLoss));
        Assert.IsInstanceOfType<VggBody>(model.Network.Backbone.Body);
        CollectionAssert.AreEqual(fpn ? new[] { "0", "1", "2", "pool" } : new[] { "0" }, model.Network.Backbone.FeatureNames.ToArray());

        var view = _test.Dataset.ToDataView();
        string path = Path.Combine(Path.GetTempPath(), $"dx-frcnn-vgg-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, view.Schema, path);
            using var loaded = (FasterRcnnDetector)ml.Model.Load(path, out _);
            Assert.IsInstanceOfType<VggBody>(loaded.Network.Backbone.Body);
            var expected = YoloTrainerTests.Detections(model.Transform(view));
            Assert.IsTrue(expected.Sum(e => e.Scores.Length) > 0, "the model finds something");
            YoloTrainerTests.AssertSame(expected, YoloTrainerTests.Detections(loaded.Transform(view)), 0, "after model.zip");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void DefaultAnchorsAreTorchvisionsPerPyramidLevel_AndThePapersScaledToTheImageOnTheSingleMap()
    {
        var pyramid = new FasterRcnnTrainer.Options().Architecture(objectClasses: 10, imageSize: 160);
        CollectionAssert.AreEqual(new[] { 32f, 64f, 128f, 256f, 512f }, pyramid.AnchorSizes.Select(level => level.Single()).ToArray());
        // The paper's 128, 256, 512 are for 600-pixel images: at 160 pixels, 160/600 of them.
        var single = new FasterRcnnTrainer.Options { Fpn = false }.Architecture(objectClasses: 10, imageSize: 160);
        CollectionAssert.AreEqual(new[] { 34f, 68f, 137f }, single.AnchorSizes.Single());
        CollectionAssert.AreEqual(new[] { 128f, 256f, 512f }, new FasterRcnnTrainer.Options { Fpn = false }.Architecture(10, 600).AnchorSizes.Single());
        CollectionAssert.AreEqual(new[] { 0.5f, 1f, 2f }, single.AspectRatios.Single());
        var vgg = new FasterRcnnTrainer.Options { Backbone = RcnnBackboneNetwork.Vgg16 }.Architecture(objectClasses: 10, imageSize: 160);
        CollectionAssert.AreEqual(new[] { 32f, 64f, 128f, 256f }, vgg.AnchorSizes.Select(level => level.Single()).ToArray(), "VGG-16's three blocks and the pooled level");
    }

    [TestMethod]
    public void BadOptionsAreRefusedByName()
    {
        var trainers = new MLContext(seed: 1).ObjectDetection().Trainers;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.FasterRcnn(new FasterRcnnTrainer.Options { BackboneDepth = 19 })).Message, "BackboneDepth");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.FasterRcnn(new FasterRcnnTrainer.Options { AnchorSizes = new[] { new[] { 32f } } })).Message, "AnchorSizes");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.FasterRcnn(new FasterRcnnTrainer.Options { Rpn = new RpnSettings { BatchSizePerImage = 0 } })).Message, "RpnSettings.BatchSizePerImage");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.FasterRcnn(new FasterRcnnTrainer.Options { RoIHeads = new RoIHeadSettings { BackgroundIoU = 0.7 } })).Message, "RoIHeadSettings.BackgroundIoU");
    }
}
