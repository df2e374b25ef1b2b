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
}
