using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Darknet;

/// <summary>Building <see cref="DarknetNetwork"/> from Darknet's own cfgs and running it.</summary>
[TestClass]
public sealed class DarknetNetworkTests
{
    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    [TestMethod]
    public void YoloV3Tiny_ForwardReturnsTheRawInputOfEachYoloLayer()
    {
        using var scope = torch.NewDisposeScope();
        var config = DarknetTestFiles.Config("yolov3-tiny");
        config.SetInputSize(128, 96);
        using var network = new DarknetNetwork(config);
        network.eval();

        Assert.AreEqual(2, network.YoloLayers.Count);
        var first = network.YoloLayers[0];
        Assert.AreEqual(16, first.LayerIndex);
        Assert.AreEqual((3, 4), (first.GridHeight, first.GridWidth));
        Assert.AreEqual(32f, first.StrideX);
        Assert.AreEqual(32f, first.StrideY);
        CollectionAssert.AreEqual(new[] { 3, 4, 5 }, first.Mask.ToArray());
        Assert.AreEqual((81f, 82f), first.Anchors[0]);
        Assert.AreEqual(0.7f, first.IgnoreThreshold);
        Assert.AreEqual(23, network.YoloLayers[1].LayerIndex);
        Assert.AreEqual((6, 8), (network.YoloLayers[1].GridHeight, network.YoloLayers[1].GridWidth));

        using (torch.no_grad())
        {
            var outputs = network.forward(torch.rand(2, 3, 96, 128));
            Assert.AreEqual(2, outputs.Length);
            CollectionAssert.AreEqual(new long[] { 2, 255, 3, 4 }, outputs[0].shape);
            CollectionAssert.AreEqual(new long[] { 2, 255, 6, 8 }, outputs[1].shape);
            Assert.IsTrue(outputs.All(o => o.isfinite().all().item<bool>()));
        }

        var names = network.named_parameters().Select(p => p.name).ToList();
        CollectionAssert.Contains(names, "layers.0.conv.weight");
        CollectionAssert.Contains(names, "layers.0.bn.weight");
        CollectionAssert.Contains(names, "layers.15.conv.bias");
        CollectionAssert.DoesNotContain(names, "layers.0.conv.bias");
        CollectionAssert.Contains(network.named_buffers().Select(b => b.name).ToList(), "layers.0.bn.running_var");
    }

    [TestMethod]
    public void TrainingMode_BackpropagatesIntoEveryLayerAndUpdatesTheStatistics()
    {
        using var scope = torch.NewDisposeScope();
        var config = DarknetTestFiles.Config("yolov3-tiny.test");
        config.SetInputSize(64, 64);
        using var network = new DarknetNetwork(config, batchNormMomentum: 0.5);
        network.train();
        var before = network.Layers[0].named_buffers().Single(b => b.name == "bn.running_mean").buffer.clone();
        var outputs = network.forward(torch.rand(2, 3, 64, 64));
        outputs.Select(o => o.square().mean()).Aggregate((a, b) => a + b).backward();
        foreach (var (name, parameter) in network.named_parameters())
            Assert.IsTrue(parameter.grad is { } grad && grad.abs().sum().item<float>() > 0, $"{name} got no gradient");
        Assert.IsFalse(network.Layers[0].named_buffers().Single(b => b.name == "bn.running_mean").buffer.eq(before).all().item<bool>(), "running mean not updated");
    }

    [TestMethod]
    public void ClassificationConfig_ReturnsTheFlattenedLastOutput_AndSummarizesItsLayers()
    {
        using var scope = torch.NewDisposeScope();
        var config = DarknetTestFiles.Config("darknet19");
        config.SetInputSize(64, 64);
        using var network = new DarknetNetwork(config);
        network.eval();
        Assert.AreEqual(0, network.YoloLayers.Count);
        using (torch.no_grad())
        {
            var output = network.forward(torch.rand(2, 3, 64, 64)).Single();
            CollectionAssert.AreEqual(new long[] { 2, 1000 }, output.shape);
            Assert.IsTrue(output.sum(1).allclose(torch.ones(2), rtol: 1e-4, atol: 1e-5), "softmax rows sum to 1");
        }

        var summary = network.Summary();
        Assert.AreEqual(network.Layers.Count, summary.Layers.Count);
        Assert.AreEqual("layers.0", summary.Layers[0].Name);
        Assert.AreEqual("Convolutional", summary.Layers[0].Type);
        CollectionAssert.AreEqual(new long[] { 1000, 1, 1 }, summary.Layers[^1].OutputShape.ToArray());
        long weights = network.parameters().Sum(p => p.numel()) + network.named_buffers().Sum(b => b.buffer.numel());
        Assert.AreEqual(weights, summary.TotalParameters);
        StringAssert.Contains(summary.ToString(), "layers.18");

        var error = Assert.ThrowsExactly<ArgumentException>(() => network.forward(torch.rand(1, 3, 32, 64)));
        StringAssert.Contains(error.Message, "takes [N, 3, 64, 64] inputs, got [1, 3, 32, 64]");
    }
}
