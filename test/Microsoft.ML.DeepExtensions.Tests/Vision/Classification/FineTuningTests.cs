using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Optimizers;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Scoring;
using Microsoft.ML.DeepExtensions.Tests.Vision.Weights;
using Microsoft.ML.DeepExtensions.Vision;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Classification;
using Microsoft.ML.DeepExtensions.Weights;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Classification;

/// <summary>
/// Fine-tuning in the CNN trainer: torchvision weights as the start, frozen or partly trainable backbones, the head at its
/// own learning rate, and the normalization stored with the model.
/// </summary>
[TestClass]
public sealed class FineTuningTests
{
    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    private static (NetworkPredictionTransformer Model, IDataView Data, MLContext Ml) Train(Action<CnnTrainer.Options> configure, int epochs = 1)
    {
        var ml = new MLContext(seed: 3);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(SyntheticImages.Images(24, seed: 5)))
            .Transform(ml.Data.LoadFromEnumerable(SyntheticImages.Images(24, seed: 5)));
        var options = new CnnTrainer.Options
        {
            FeatureColumnName = "Image",
            ImageShape = new ImageShape(3, 12, 12),
            Architecture = ImageArchitectures.Get("resnet18"),
            InitialWeights = TorchvisionGolden.WeightsOf("resnet18"),
            Normalization = ImageNormalization.ImageNet,
            Epochs = epochs,
            BatchSize = 12,
            Shuffle = false,
            Device = ComputeDevice.Cpu,
        };
        configure(options);
        return (ml.MulticlassClassification.Trainers.Cnn(options).Fit(data), data, ml);
    }

    /// <summary>The trained network's parameters under torchvision's names.</summary>
    private static Dictionary<string, Tensor> Parameters(NetworkPredictionTransformer model)
    {
        var network = (ImageNetwork)model.Network;
        return network.ArchitectureModule(model.Module).named_parameters().ToDictionary(p => network.Architecture.ToPyTorchName(p.name), p => (Tensor)p.parameter);
    }

    private static bool Same(Tensor a, Tensor b) => ImageNetworkWeightsTests.Same(a, b);

    [TestMethod]
    public void FrozenBackboneKeepsThePretrainedWeightsAndTrainsTheHead()
    {
        var (model, data, ml) = Train(o => o.FreezeBackbone = true);
        using var file = WeightFiles.Read(TorchvisionGolden.WeightsOf("resnet18"));
        var trained = Parameters(model);
        foreach (var (name, parameter) in trained.Where(p => !p.Key.StartsWith("fc.", StringComparison.Ordinal)))
            Assert.IsTrue(Same(file[name], parameter), $"{name} is frozen");
        Assert.IsFalse(Same(file["fc.weight"], trained["fc.weight"]), "the head trained");
        Assert.AreSame(ImageNormalization.ImageNet, ((ImageNetwork)model.Network).Normalization);
        model.Dispose();
    }

    [TestMethod]
    public void TrainableStagesTrainOnlyTheLastStages()
    {
        var (model, _, _) = Train(o => o.TrainableStages = 1);
        using var file = WeightFiles.Read(TorchvisionGolden.WeightsOf("resnet18"));
        var trained = Parameters(model);
        Assert.IsTrue(Same(file["layer3.1.conv2.weight"], trained["layer3.1.conv2.weight"]), "layer3 frozen");
        Assert.IsTrue(Same(file["conv1.weight"], trained["conv1.weight"]), "stem frozen");
        Assert.IsFalse(Same(file["layer4.1.conv2.weight"], trained["layer4.1.conv2.weight"]), "layer4 trained");
        Assert.IsFalse(Same(file["fc.weight"], trained["fc.weight"]), "the head trained");
        model.Dispose();

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Train(o => o.TrainableStages = 7));
        StringAssert.Contains(error.Message, "resnet18 has 6 stages: conv1, bn1, layer1, layer2, layer3, layer4");
    }

    [TestMethod]
    public void HeadLearningRateIsTheHeadsOnly()
    {
        // SGD without momentum: a step moves a weight by exactly learning rate x gradient, so a backbone rate of 1e-9
        // against the head's 0.5 leaves the backbone within float noise of the file while the head moves.
        var (model, _, _) = Train(o => { o.Optimizer = new Sgd(learningRate: 1e-9); o.HeadLearningRate = 0.5; o.LearningRateSchedule = null; });
        using var file = WeightFiles.Read(TorchvisionGolden.WeightsOf("resnet18"));
        var trained = Parameters(model);
        double backboneChange = trained.Where(p => !p.Key.StartsWith("fc.", StringComparison.Ordinal))
            .Max(p => (p.Value - file[p.Key]).abs().max().item<float>());
        double headChange = (trained["fc.weight"] - file["fc.weight"]).abs().max().item<float>();
        Assert.IsTrue(backboneChange < 1e-6, $"backbone moved by {backboneChange}");
        Assert.IsTrue(headChange > 1e-3, $"head moved by {headChange}");
        model.Dispose();
    }

    [TestMethod]
    public void SavedModelKeepsTheNormalizationAndContinuesFromModelZip()
    {
        var (model, data, ml) = Train(o => o.FreezeBackbone = true);
        string path = Path.Combine(Path.GetTempPath(), $"dx-finetune-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, data.Schema, path);
            var expected = model.Transform(data).GetColumn<float[]>("Score").ToArray();
            var other = new MLContext();
            other.RegisterDeepExtensions();
            using var loaded = (NetworkPredictionTransformer)other.Model.Load(path, out _);
            Assert.AreEqual(ImageNormalization.ImageNet.ToString(), ((ImageNetwork)loaded.Network).Normalization?.ToString());
            var actual = loaded.Transform(data).GetColumn<float[]>("Score").ToArray();
            for (int i = 0; i < expected.Length; i++)
                CollectionAssert.AreEqual(expected[i], actual[i], $"row {i}");

            // A previous model.zip as the initial weights: training starts exactly where it ended.
            var (continued, _, _) = Train(o => { o.InitialWeights = path; o.FreezeBackbone = true; });
            var before = Parameters(model);
            foreach (var (name, parameter) in Parameters(continued).Where(p => !p.Key.StartsWith("fc.", StringComparison.Ordinal)))
                Assert.IsTrue(Same(before[name], parameter), name);
            continued.Dispose();
        }
        finally
        {
            model.Dispose();
            File.Delete(path);
        }
    }

    [TestMethod]
    public void BadOptionsNameTheOption()
    {
        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Train(o => o.InitialWeights = "/nonexistent/weights.pt"));
        StringAssert.Contains(missing.Message, "InitialWeights must name an existing file, got '/nonexistent/weights.pt'");
        var both = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Train(o => { o.FreezeBackbone = true; o.TrainableStages = 2; }));
        StringAssert.Contains(both.Message, "TrainableStages cannot be 2 with FreezeBackbone");
        var wrong = Assert.ThrowsExactly<WeightFileException>(() => Train(o => o.Architecture = ImageArchitectures.Get("resnet34")));
        StringAssert.Contains(wrong.Message, "missing layer1.2.conv1.weight");
    }
}
