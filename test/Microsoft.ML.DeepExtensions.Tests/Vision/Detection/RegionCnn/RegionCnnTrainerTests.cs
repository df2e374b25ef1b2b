using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Training;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Yolo.Training;
using Microsoft.ML.DeepExtensions.Vision;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.RegionCnn;

/// <summary>
/// The R-CNN trainer end to end on generated shapes (red squares and blue discs on grey noise): its stages run, the
/// fitted detector finds the shapes, scores the same after model.zip and in a fresh process, and bad data and options are
/// refused with messages naming the option and the rule. One small model is trained once for the class and shared.
/// </summary>
[TestClass]
public sealed class RegionCnnTrainerTests
{
    private static SyntheticDetectionData _train = null!;
    private static SyntheticDetectionData _test = null!;
    private static RegionCnnTrainer _trainer = null!;
    private static RegionCnnDetector _model = null!;

    /// <summary>16-pixel regions, 150 proposals per 64-pixel image, 3 fine-tuning epochs, one mining round: seconds on a CPU.</summary>
    internal static RegionCnnTrainer.Options SmallOptions() => new()
    {
        ImageSize = 64,
        WarpSize = 16,
        MaxProposals = 150,
        MinProposalSize = 6,
        Epochs = 3,
        BatchSize = Microsoft.ML.DeepExtensions.Training.BatchSize.Of(64),
        SvmEpochs = 10,
        HardNegativeRounds = 1,
        NegativesPerRound = 500,
        Seed = 3,
        Device = ComputeDevice.Cpu,
    };

    [ClassInitialize]
    public static void TrainOnce(TestContext context)
    {
        _train = SyntheticDetectionData.Create(16, seed: 1, width: 64, height: 64, minSide: 12, maxSide: 28);
        _test = SyntheticDetectionData.Create(6, seed: 2, width: 64, height: 64, minSide: 12, maxSide: 28);
        var ml = new MLContext(seed: 1);
        _trainer = ml.ObjectDetection().Trainers.Rcnn(SmallOptions());
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
    public void FineTuningLowersTheLoss_AndTheDetectorFindsTheShapes()
    {
        var history = _trainer.TrainingHistory;
        Assert.AreEqual(3, history.Count);
        Assert.IsTrue(history[^1].TrainingLoss < 0.8 * history[0].TrainingLoss, "loss " + string.Join(" -> ", history.Select(h => h.TrainingLoss.ToString("F4"))));
        CollectionAssert.AreEqual(SyntheticDetectionData.ClassNames, _model.ClassNames.ToArray());
        Assert.AreEqual(64, _model.ImageSize);
        Assert.AreEqual(16, _model.WarpSize);
        Assert.AreEqual("small-cnn", _model.Backbone);

        var ml = new MLContext(seed: 1);
        var metrics = ml.ObjectDetection().Evaluate(_model.Transform(_test.Dataset.ToDataView()));
        Assert.IsTrue(metrics.AP50 > 0.3, $"AP50 {metrics.AP50:F3} on held-out shapes");
    }

    [TestMethod]
    public void ASavedModelLoadsBackAndDetectsTheSame()
    {
        var ml = new MLContext(seed: 1).RegisterDeepExtensions();
        var view = _test.Dataset.ToDataView();
        string path = Path.Combine(Path.GetTempPath(), $"dx-rcnn-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(_model, view.Schema, path);
            var loaded = ml.Model.Load(path, out _);
            var expected = YoloTrainerTests.Detections(_model.Transform(view));
            var actual = YoloTrainerTests.Detections(loaded.Transform(view));
            Assert.IsTrue(expected.Sum(e => e.Scores.Length) > 0, "the model finds something");
            YoloTrainerTests.AssertSame(expected, actual, 0, "after model.zip");
            (loaded as IDisposable)?.Dispose();

            // A PredictionEngine detects one image per call: the same as detecting that image alone (a batch of one).
            var engine = ml.Model.CreatePredictionEngine<ImageRow, DetectionRow>(_model);
            using var image = Microsoft.ML.Data.MLImage.CreateFromFile(_test.Dataset.Images[0].Path);
            var alone = _model.Detect(image);
            Assert.IsTrue(alone.Count > 0, "the image has detections");
            CollectionAssert.AreEqual(alone.Scores.ToArray(), engine.Predict(new ImageRow { Image = image }).Score);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void AFreshProcessLoadsTheModelAndDetectsTheSame() => YoloTrainerTests.AssertAFreshProcessDetectsTheSame(_model, _test, "rcnn");

    [TestMethod]
    public void ImagesSmallerThanTheWarpSizeAreRefusedNamingTheRowAndTheOption()
    {
        var options = SmallOptions();
        options.WarpSize = 80;
        options.ImageSize = 96;
        var error = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext(seed: 1).ObjectDetection().Trainers.Rcnn(options).Fit(_train.Dataset.ToDataView()));
        StringAssert.Contains(error.Message, "Row 1 of the training data");
        StringAssert.Contains(error.Message, "64x64 pixels, smaller than WarpSize (80)");
    }

    [TestMethod]
    public void ABackboneThatDoesNotFitTheWarpSizeIsRefused()
    {
        var options = SmallOptions();
        options.Backbone = ImageArchitectures.AlexNet;
        options.WarpSize = 16;
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MLContext(seed: 1).ObjectDetection().Trainers.Rcnn(options).Fit(_train.Dataset.ToDataView()));
        StringAssert.Contains(error.Message, "Backbone 'alexnet' does not fit WarpSize 16");
        Assert.AreEqual("WarpSize", error.ParamName);
    }

    [TestMethod]
    public void ProposalsThatOverlapNoObjectAreRefusedNamingTheThreshold()
    {
        var options = SmallOptions();
        options.MinProposalSize = 50; // the shapes are 12 to 28 pixels: no proposal left reaches IoU 0.5 with one
        var error = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext(seed: 1).ObjectDetection().Trainers.Rcnn(options).Fit(_train.Dataset.ToDataView()));
        StringAssert.Contains(error.Message, "No proposal overlaps any object");
        StringAssert.Contains(error.Message, "IoU 0.5 (FineTuneIouThreshold)");
        StringAssert.Contains(error.Message, "all 16 training images");
    }

    [TestMethod]
    public void ATrainedBackboneServesAsItIsWithoutFineTuning_AndWeightsThatDoNotFitAreRefused()
    {
        string weights = Path.Combine(Path.GetTempPath(), $"dx-rcnn-backbone-{Guid.NewGuid():N}.safetensors");
        try
        {
            var network = _model.Model.Network;
            Microsoft.ML.DeepExtensions.Vision.Weights.ImageNetworkWeights.Save(network.Definition, network.Module, weights);
            var options = SmallOptions();
            options.InitialWeights = weights;
            options.FineTune = false;
            var trainer = new MLContext(seed: 1).ObjectDetection().Trainers.Rcnn(options);
            using var detector = trainer.Fit(_train.Dataset.ToDataView());
            Assert.AreEqual(0, trainer.TrainingHistory.Count, "no fine-tuning epochs");
            foreach (var (name, tensor) in network.Module.state_dict())
                Assert.IsTrue(tensor.to_type(TorchSharp.torch.ScalarType.Float64).allclose(detector.Model.Network.Module.state_dict()[name].to_type(TorchSharp.torch.ScalarType.Float64), 0, 0), $"{name}: the backbone is the weights file's, untouched");
            var metrics = new MLContext(seed: 1).ObjectDetection().Evaluate(detector.Transform(_test.Dataset.ToDataView()));
            Assert.IsTrue(metrics.AP50 > 0.3, $"AP50 {metrics.AP50:F3} with the trained backbone's features");

            options.WarpSize = 24; // small-cnn's fully connected layer depends on the input side
            var error = Assert.ThrowsExactly<ArgumentException>(() => new MLContext(seed: 1).ObjectDetection().Trainers.Rcnn(options).Fit(_train.Dataset.ToDataView()));
            StringAssert.Contains(error.Message, "do not fit backbone 'small-cnn' at WarpSize 24");
            Assert.AreEqual("InitialWeights", error.ParamName);
        }
        finally
        {
            File.Delete(weights);
        }
    }

    [TestMethod]
    public void ACancelledTokenStopsTraining()
    {
        var options = SmallOptions();
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        options.CancellationToken = cancellation.Token;
        Assert.ThrowsExactly<OperationCanceledException>(() => new MLContext(seed: 1).ObjectDetection().Trainers.Rcnn(options).Fit(_train.Dataset.ToDataView()));
    }

    [TestMethod]
    public void BadOptionsAreRefusedByName()
    {
        var trainers = new MLContext(seed: 1).ObjectDetection().Trainers;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.Rcnn(new RegionCnnTrainer.Options { WarpSize = 2 })).Message, "WarpSize must be at least 4, got 2");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.Rcnn(new RegionCnnTrainer.Options { FineTune = false })).Message, "FineTune can be false only with InitialWeights");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.Rcnn(new RegionCnnTrainer.Options { MaxProposals = 0 })).Message, "MaxProposals must be positive");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.Rcnn(new RegionCnnTrainer.Options { ContextPadding = 16 })).Message, "ContextPadding");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.Rcnn(new RegionCnnTrainer.Options { FineTuneIouThreshold = 0 })).Message, "FineTuneIouThreshold");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.Rcnn(new RegionCnnTrainer.Options { WarpSize = 48, ImageSize = 40 })).Message, "ImageSize must be at least WarpSize (48), got 40");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.Rcnn(new RegionCnnTrainer.Options { InitialWeights = "/nonexistent.zip" })).Message, "/nonexistent.zip");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.Rcnn(new RegionCnnTrainer.Options { Augmentation = new() })).Message, "Augmentation must stay DetectionAugmentationOptions.None");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.Rcnn(new RegionCnnTrainer.Options { ValidationData = _test.Dataset.ToDataView() })).Message, "ValidationData is not used");
    }

    private sealed class ImageRow
    {
        [Microsoft.ML.Transforms.Image.ImageType(64, 64)]
        public Microsoft.ML.Data.MLImage Image { get; set; } = null!;
    }

    private sealed class DetectionRow
    {
        public float[] Score { get; set; } = Array.Empty<float>();
    }
}
