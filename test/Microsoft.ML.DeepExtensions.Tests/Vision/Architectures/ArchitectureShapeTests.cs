using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Architectures;

[TestClass]
public sealed class ArchitectureShapeTests
{
    /// <summary>Starts LibTorch the library's way (idle OpenMP workers sleep) before any test touches a tensor.</summary>
    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    /// <summary>Runs a batch of two random images in evaluation mode and returns the output shape.</summary>
    private static long[] Forward(ImageArchitecture architecture, long[] input, int classes)
    {
        using var scope = torch.NewDisposeScope();
        using var network = new ImageNetwork(architecture, input, classes).Build();
        network.eval();
        using var noGrad = torch.no_grad();
        var output = network.call(torch.randn(new long[] { 2 }.Concat(input).ToArray()));
        Assert.IsTrue(output.isfinite().all().item<bool>(), "finite scores");
        return output.shape;
    }

    [TestMethod]
    public void LeNet5LayerShapesOn32x32()
    {
        var summary = new ImageNetwork(ImageArchitectures.LeNet5, new long[] { 1, 32, 32 }, 10).Summary();
        var shapes = summary.Layers.Where(l => l.Name is "conv1" or "pool1" or "conv2" or "pool2" or "conv3" or "fc1" or "fc2")
            .Select(l => $"{l.Name} ({string.Join(", ", l.OutputShape)})").ToArray();
        CollectionAssert.AreEqual(new[]
        {
            "conv1 (6, 28, 28)", "pool1 (6, 14, 14)", "conv2 (16, 10, 10)", "pool2 (16, 5, 5)", "conv3 (120, 1, 1)", "fc1 (84)", "fc2 (10)",
        }, shapes);
        Assert.IsFalse(summary.Layers.Any(l => l.Name == "pad"), "32×32 needs no padding");
        Assert.AreEqual("Tanh", summary.Layers.Single(l => l.Name == "tanh1").Type);
        Assert.AreEqual("AveragePooling", summary.Layers.Single(l => l.Name == "pool1").Type);
        CollectionAssert.AreEqual(new long[] { 2, 10 }, Forward(ImageArchitectures.LeNet5, new long[] { 1, 32, 32 }, 10));
    }

    [TestMethod]
    public void LeNet5PadsA28x28DigitTo32x32()
    {
        var summary = new ImageNetwork(ImageArchitectures.LeNet5, new long[] { 1, 28, 28 }, 10).Summary();
        Assert.AreEqual("pad", summary.Layers[0].Name);
        CollectionAssert.AreEqual(new long[] { 1, 32, 32 }, summary.Layers[0].OutputShape.ToArray());
        Assert.AreEqual(61_706, summary.TrainableParameters, "the same network as on 32×32");
        CollectionAssert.AreEqual(new long[] { 2, 10 }, Forward(ImageArchitectures.LeNet5, new long[] { 1, 28, 28 }, 10));

        // The padding is zeros around the centred image: the padded border of a ones image is 0.
        using var pad = ((LayeredArchitecture)ImageArchitectures.LeNet5).Layers(new long[] { 1, 28, 28 }, 10).Layers[0].Layer.Build(new long[] { 1, 28, 28 });
        using var padded = pad.call(torch.ones(1, 1, 28, 28));
        Assert.AreEqual(28 * 28, padded.sum().item<float>());
        Assert.AreEqual(1f, padded[0, 0, 2, 2].item<float>());
        Assert.AreEqual(0f, padded[0, 0, 1, 2].item<float>());
    }

    [TestMethod]
    public void SmallerInputsWorkThroughAdaptivePooling()
    {
        // ResNet-50 runs in BuiltNetworksMatchTheirSummaries; GoogLeNet's ceil-mode poolings end at 1×1 here.
        CollectionAssert.AreEqual(new long[] { 2, 4 }, Forward(ImageArchitectures.GoogLeNet, new long[] { 1, 32, 40 }, 4));
        CollectionAssert.AreEqual(new long[] { 2, 3 }, Forward(ImageArchitectures.SmallCnn, new long[] { 3, 20, 20 }, 3));
    }

    [TestMethod]
    public void BuiltNetworksMatchTheirSummaries()
    {
        // Shapes and counts from shape inference equal those of the real modules (ResNet-50 exercises bottlenecks and downsampling).
        foreach (var (architecture, input) in new (ImageArchitecture, long[])[]
        {
            (ImageArchitectures.ResNet50, new long[] { 2, 33, 47 }),
            (ImageArchitectures.AlexNet, new long[] { 3, 63, 63 }),
            (ImageArchitectures.Vgg16BatchNorm, new long[] { 1, 32, 32 }),
        })
        {
            var network = new ImageNetwork(architecture, input, 7);
            using var module = ((LayeredArchitecture)architecture).Create(input, 7, torch.device("meta"));
            Assert.AreEqual(module.parameters().Sum(p => p.numel()), network.Summary().TrainableParameters, architecture.Name);
        }
        CollectionAssert.AreEqual(new long[] { 2, 7 }, Forward(ImageArchitectures.ResNet50, new long[] { 2, 33, 47 }, 7));
    }

    [TestMethod]
    public void TooSmallInputsAreRefusedBeforeTraining()
    {
        var e = Assert.ThrowsExactly<InputShapeException>(() => new ImageNetwork(ImageArchitectures.AlexNet, new long[] { 3, 20, 20 }, 10));
        Assert.AreEqual("Layer 'features.pool2' (max pool 3×3, stride 2) needs an input of at least 3×3, got 1×1 for a 3×20×20 input image.", e.Message);
        var vgg = Assert.ThrowsExactly<InputShapeException>(() => new ImageNetwork(ImageArchitectures.Vgg16, new long[] { 3, 20, 20 }, 10));
        Assert.AreEqual("Layer 'features.pool5' (max pool 2×2, stride 2) needs an input of at least 2×2, got 1×1 for a 3×20×20 input image.", vgg.Message);
        var small = Assert.ThrowsExactly<InputShapeException>(() => new ImageNetwork(ImageArchitectures.SmallCnn, new long[] { 1, 3, 3 }, 10));
        Assert.AreEqual("Layer 'pool2' (max pool 2×2, stride 2) needs an input of at least 2×2, got 1×1 for a 1×3×3 input image.", small.Message);
        // The smallest accepted sizes work.
        new ImageNetwork(ImageArchitectures.AlexNet, new long[] { 3, 63, 63 }, 10);
        new ImageNetwork(ImageArchitectures.Vgg16, new long[] { 3, 32, 32 }, 10);
        Assert.ThrowsExactly<InputShapeException>(() => new ImageNetwork(ImageArchitectures.AlexNet, new long[] { 3, 62, 62 }, 10));
        Assert.ThrowsExactly<InputShapeException>(() => new ImageNetwork(ImageArchitectures.Vgg16, new long[] { 3, 31, 32 }, 10));
    }

    [TestMethod]
    public void DeepNetworksSummarizeBlocksAsOneRow()
    {
        var summary = new ImageNetwork(ImageArchitectures.ResNet50, new long[] { 3, 224, 224 }, 1000).Summary();
        var block = summary.Layers.Single(l => l.Name == "layer2.0");
        Assert.AreEqual("Bottleneck", block.Type);
        Assert.IsTrue(block.IsGroup);
        Assert.AreEqual(1, block.Depth);
        CollectionAssert.AreEqual(new long[] { 512, 28, 28 }, block.OutputShape.ToArray());
        Assert.IsFalse(summary.Layers.Any(l => l.Name.StartsWith("layer2.0.", StringComparison.Ordinal)), "the block's inner layers are not listed");
        Assert.IsTrue(summary.Layers.Count < 30, $"{summary.Layers.Count} rows");
        // A group's count is the sum of its blocks'.
        var stage = summary.Layers.Single(l => l.Name == "layer2");
        Assert.AreEqual(summary.Layers.Where(l => l.Name.StartsWith("layer2.", StringComparison.Ordinal)).Sum(l => l.Parameters), stage.Parameters);
        StringAssert.Contains(summary.ToString(), "  layer2.0 (Bottleneck)");
        StringAssert.Contains(summary.ToString(), "Trainable params: 25,557,032");
    }

    [TestMethod]
    public void ClassCountAndShapeAreChecked()
    {
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ImageNetwork(ImageArchitectures.LeNet5, new long[] { 1, 32, 32 }, 1)).Message, "Classes must be at least 2, got 1.");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new ImageNetwork(ImageArchitectures.LeNet5, new long[] { 32, 32 }, 10)).Message, "InputShape must be [channels, height, width] with positive sizes, got [32, 32].");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new ImageNetwork(ImageArchitectures.LeNet5, new long[] { 1, 0, 32 }, 10)).Message, "got [1, 0, 32]");
    }
}
