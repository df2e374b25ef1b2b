using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Tests.Cli;
using Microsoft.ML.DeepExtensions.Tests.Vision.Onnx;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Yolo.Training;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Vision;
using Microsoft.ML.DeepExtensions.Vision.Data;
using Microsoft.ML.DeepExtensions.Vision.Data.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection.Training;
using Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;
using Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage.Training;
using Microsoft.ML.DeepExtensions.Vision.Onnx;
using Microsoft.ML.DeepExtensions.Vision.Onnx.Import;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.TwoStage.Training;

/// <summary>
/// Faster and Mask R-CNN on an ONNX-imported backbone: a small CNN exported by PyTorch (<c>Models/generate_tiny_onnx_backbone.py</c>,
/// four stride-2 stages whose outputs are graph outputs too, so ONNX Runtime gives each map the detector reads). The body
/// returns ONNX Runtime's maps; <c>Fit()</c> fine-tunes the imported weights on images of the detection sample, for the
/// single-map model and for a pyramid over the four stages; model.zip keeps the graph and the trained weights.
/// </summary>
[TestClass]
public sealed class OnnxBackboneRcnnTests
{
    private static readonly string[] Stages = { "stage1", "stage2", "stage3", "stage4" };
    private static DetectionDataset _train = null!;
    private static DetectionDataset _test = null!;

    private static string Backbone => Path.Combine(AppContext.BaseDirectory, "Vision", "Detection", "Models", "tiny_onnx_backbone.onnx");

    [ClassInitialize]
    public static void ReadSample(TestContext context)
    {
        TorchBackend.EnsureStarted();
        var folder = CliRunner.Sample("detection-sample");
        var train = DetectionDataset.Read(Path.Combine(folder, "annotations", "instances_train.json"));
        var test = DetectionDataset.Read(Path.Combine(folder, "annotations", "instances_test.json"));
        _train = new DetectionDataset(train.ClassNames, train.Images.Take(8));
        _test = new DetectionDataset(test.ClassNames, test.Images.Take(2));
    }

    /// <summary>One epoch at 64 × 64 with small heads; the single map (stage4, stride 32) or a 16-channel pyramid over the four stages.</summary>
    private static FasterRcnnTrainer.Options SmallOptions(bool fpn) => new()
    {
        OnnxBackbone = Backbone,
        OnnxBackboneFeatureMaps = fpn ? Stages : new[] { "stage4" },
        Fpn = fpn,
        FpnChannels = 16,
        ImageSize = 64,
        Epochs = 1,
        AnchorSizes = fpn ? new[] { new[] { 8f }, new[] { 16f }, new[] { 32f }, new[] { 64f }, new[] { 128f } } : new[] { new[] { 16f, 32f, 64f } },
        Rpn = new RpnSettings { PreNmsTopNTraining = 200, PostNmsTopNTraining = 100, PreNmsTopNTesting = 100, PostNmsTopNTesting = 50, BatchSizePerImage = 64 },
        RoIHeads = new RoIHeadSettings { BatchSizePerImage = 32, RepresentationSize = 32 },
        Augmentation = DetectionAugmentationOptions.None,
        // After one epoch few scores reach the default 0.05: keep more, so the round trip compares detections.
        ConfidenceThreshold = 0.001f,
        BatchSize = Microsoft.ML.DeepExtensions.Training.BatchSize.Of(4),
        Seed = 3,
        Device = ComputeDevice.Cpu,
    };

    [TestMethod]
    public void TheBodyReturnsOnnxRuntimesStageMaps()
    {
        var definition = OnnxRcnnBackbone.Load(Backbone, Stages);
        CollectionAssert.AreEqual(new[] { 8, 16, 24, 32 }, definition.Channels.ToArray());
        using var body = definition.CreateBody();
        body.eval();
        var shape = new long[] { 2, 3, 64, 96 };
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var input = torch.rand(shape, generator: new Generator(5));
        var maps = body.call(input);
        using var session = new InferenceSession(Backbone);
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor("image", new DenseTensor<float>(input.data<float>().ToArray(), shape.Select(d => (int)d).ToArray())) });
        for (int i = 0; i < Stages.Length; i++)
        {
            var expected = results.Single(r => r.Name == Stages[i]).AsTensor<float>();
            CollectionAssert.AreEqual(expected.Dimensions.ToArray().Select(d => (long)d).ToArray(), maps[i].shape, Stages[i]);
            double error = OnnxTestFiles.RelativeError(maps[i].contiguous().data<float>().ToArray(), expected.ToArray());
            Assert.IsTrue(error < 1e-4, $"{Stages[i]}: relative error {error:E2}");
        }
    }

    [TestMethod]
    public void FitFineTunesTheOnnxWeights_AndModelZipGivesTheSameDetections()
    {
        var ml = new MLContext(seed: 1).RegisterDeepExtensions();
        using var model = ml.ObjectDetection().Trainers.FasterRcnn(SmallOptions(fpn: false)).Fit(_train.ToDataView());
        Assert.IsFalse(model.Network.Backbone.HasPyramid);
        Assert.IsTrue(model.Network.Backbone.BatchNormFrozen, "a pretrained backbone's batch normalization is frozen by default");
        AssertBackboneTrained(model.Network, "stage4", batchNormFrozen: true);

        var view = _test.ToDataView();
        string path = Path.Combine(Path.GetTempPath(), $"dx-onnx-frcnn-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, view.Schema, path);
            var loaded = (FasterRcnnDetector)ml.Model.Load(path, out _);
            var expected = YoloTrainerTests.Detections(model.Transform(view));
            var actual = YoloTrainerTests.Detections(loaded.Transform(view));
            Assert.IsTrue(expected.Sum(e => e.Scores.Length) > 0, "the model finds something");
            YoloTrainerTests.AssertSame(expected, actual, 0, "after model.zip");
            // The loaded backbone holds the trained weights, not the file's.
            var trained = model.Network.Backbone.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, parameter) in loaded.Network.Backbone.named_parameters())
                Assert.IsTrue(parameter.allclose(trained[name], rtol: 0, atol: 0), name);
            loaded.Dispose();
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void APyramidOverTheFourStagesTrains_AndMaskRcnnTakesTheBackboneToo()
    {
        var ml = new MLContext(seed: 1);
        var options = SmallOptions(fpn: true);
        options.FrozenBatchNorm = false;
        var trainer = ml.ObjectDetection().Trainers.FasterRcnn(options);
        using (var model = trainer.Fit(_train.ToDataView()))
        {
            CollectionAssert.AreEqual(new[] { "0", "1", "2", "3", "pool" }, model.Network.Backbone.FeatureNames.ToArray());
            Assert.IsTrue(double.IsFinite(trainer.TrainingHistory.Single().TrainingLoss));
            AssertBackboneTrained(model.Network, "stage4", batchNormFrozen: false);
        }

        var maskOptions = MaskRcnnTrainerTests.SmallOptions(epochs: 1);
        maskOptions.OnnxBackbone = Backbone;
        maskOptions.OnnxBackboneFeatureMaps = new[] { "stage4" };
        maskOptions.Fpn = false;
        maskOptions.AnchorSizes = new[] { new[] { 16f, 32f, 64f } };
        var coco = Path.Combine(AppContext.BaseDirectory, "Vision", "Data", "Detection", "Layouts", "coco-yolo", "annotations", "instances_train.json");
        var maskTrainer = ml.ObjectDetection().Trainers.MaskRcnn(maskOptions);
        using var masks = maskTrainer.Fit(ml.Data.LoadCocoDetection(coco));
        Assert.IsTrue(masks.Network.HasMasks);
        Assert.IsTrue(double.IsFinite(maskTrainer.TrainingHistory.Single().LossParts!["mask"]));
        AssertBackboneTrained(masks.Network, "stage4", batchNormFrozen: true);
    }

    [TestMethod]
    public void BadBackbonesAreRefusedNamingTheFileAndTheMap()
    {
        var trainers = new MLContext(seed: 1).ObjectDetection().Trainers;
        var data = _train.ToDataView();

        var unknown = SmallOptions(fpn: false);
        unknown.OnnxBackboneFeatureMaps = new[] { "stage9" };
        var e = Assert.ThrowsExactly<OnnxFormatException>(() => trainers.FasterRcnn(unknown).Fit(data));
        StringAssert.Contains(e.Message, "'stage9'");
        StringAssert.Contains(e.Message, "tiny_onnx_backbone.onnx");

        var logits = SmallOptions(fpn: false);
        logits.OnnxBackboneFeatureMaps = new[] { "logits" };
        e = Assert.ThrowsExactly<OnnxFormatException>(() => trainers.FasterRcnn(logits).Fit(data));
        StringAssert.Contains(e.Message, "'logits' is [1, 10]");
        StringAssert.Contains(e.Message, "[N, C, H, W]");

        var noMaps = SmallOptions(fpn: true);
        noMaps.OnnxBackboneFeatureMaps = null;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.FasterRcnn(noMaps)).Message, "OnnxBackboneFeatureMaps");
        var twoMaps = SmallOptions(fpn: false);
        twoMaps.OnnxBackboneFeatureMaps = new[] { "stage3", "stage4" };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.FasterRcnn(twoMaps)).Message, "one feature map without Fpn");
        var missing = SmallOptions(fpn: false);
        missing.OnnxBackbone = Path.Combine(Path.GetTempPath(), "no-such-backbone.onnx");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.FasterRcnn(missing)).Message, "no-such-backbone.onnx");
        var levels = SmallOptions(fpn: true);
        levels.OnnxBackboneFeatureMaps = new[] { "stage3", "stage4" };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.FasterRcnn(levels)).Message, "AnchorSizes must give one list per feature map (3 with the pyramid)");
    }

    /// <summary>
    /// Every imported weight of the backbone moved away from the file's during <c>Fit()</c>, except, with
    /// <paramref name="batchNormFrozen"/>, batch normalization's scale and shift and running statistics, which kept them.
    /// </summary>
    private static void AssertBackboneTrained(FasterRcnn network, string map, bool batchNormFrozen)
    {
        using var original = OnnxGraphModule.Import(Backbone, map);
        var before = original.named_parameters().ToDictionary(p => "body.graph." + p.name, p => p.parameter);
        var after = network.Backbone.named_parameters().Where(p => p.name.StartsWith("body.", StringComparison.Ordinal)).ToArray();
        Assert.AreEqual(before.Count, after.Length, "the body's parameters are the graph's initializers");
        Assert.IsTrue(before.Count > 0);
        original.FreezeBatchNormalization();
        var normParameters = original.named_parameters().Where(p => !p.parameter.requires_grad).Select(p => "body.graph." + p.name).ToHashSet();
        Assert.IsTrue(normParameters.Count > 0, "the graph has batch normalization");
        foreach (var (name, parameter) in after)
        {
            bool keeps = batchNormFrozen && normParameters.Contains(name);
            Assert.AreEqual(!keeps, parameter.requires_grad, $"{name} is {(keeps ? "frozen" : "trainable")}");
            if (keeps)
                Assert.IsTrue(parameter.cpu().allclose(before[name], rtol: 0, atol: 0), $"{name} is frozen but moved");
            else
                Assert.IsFalse(parameter.cpu().allclose(before[name]), $"{name} kept the file's values: Fit() did not train it");
        }
        var statistics = original.named_buffers().ToDictionary(b => "body.graph." + b.name, b => b.buffer);
        var trainedStatistics = network.Backbone.named_buffers().Where(b => statistics.ContainsKey(b.name)).ToArray();
        Assert.AreEqual(statistics.Count, trainedStatistics.Length, "the running statistics are the body's buffers");
        Assert.AreEqual(batchNormFrozen, trainedStatistics.All(b => b.buffer.cpu().allclose(statistics[b.name], rtol: 0, atol: 0)),
            batchNormFrozen ? "frozen running statistics stay the file's" : "trained running statistics move");
    }
}
