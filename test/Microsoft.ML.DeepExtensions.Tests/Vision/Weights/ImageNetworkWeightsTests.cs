using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Weights;
using Microsoft.ML.DeepExtensions.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Weights;

/// <summary>
/// torchvision's models, saved by torch.save (generate_torchvision_weights.py), load into the DeepExtensions architectures
/// under the mapped names and give torchvision's logits on real photos; our saved files load back to the same outputs.
/// </summary>
[TestClass]
public sealed class ImageNetworkWeightsTests
{
    public static IEnumerable<object[]> Architectures =>
        new[] { "resnet18", "resnet34", "resnet50", "alexnet", "vgg16", "vgg16-bn", "googlenet" }.Select(a => new object[] { a });

    /// <summary>
    /// The logits are checked for all but plain VGG-16: its 138 million weights cost seconds to build and load, and its
    /// names differ from VGG-16-BN's only by the batch normalizations (checked for both by <see cref="MappedNamesAndShapesAreTorchvisions"/>).
    /// </summary>
    public static IEnumerable<object[]> NumericArchitectures => Architectures.Where(a => (string)a[0] != "vgg16");

    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    private static ImageNetwork Network(string architecture) =>
        new(ImageArchitectures.Get(architecture), TorchvisionGolden.InputShape, TorchvisionGolden.Classes, ImageNormalization.ImageNet);

    private static float[][] Logits(nn.Module<Tensor, Tensor> module)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        module.eval();
        var names = TorchvisionGolden.PhotoNames;
        var input = torch.tensor(TorchvisionGolden.PhotoBatch()).view(names.Length, 3, 64, 64);
        var output = module.call(input);
        return Enumerable.Range(0, names.Length).Select(i => output[i].data<float>().ToArray()).ToArray();
    }

    internal static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.eq(b).all().item<bool>();

    private static void AssertClose(float[][] expected, float[][] actual, string what)
    {
        // Float tolerance relative to the logits' scale: deep networks sum thousands of products in another order.
        double scale = Math.Max(expected.SelectMany(r => r).Max(Math.Abs), 1e-3);
        for (int i = 0; i < expected.Length; i++)
        {
            for (int j = 0; j < expected[i].Length; j++)
                Assert.AreEqual(expected[i][j], actual[i][j], 1e-4 * scale, $"{what}: photo {i}, class {j}");
            var p = TorchvisionGolden.Softmax(expected[i]);
            var q = TorchvisionGolden.Softmax(actual[i]);
            for (int j = 0; j < p.Length; j++)
                Assert.AreEqual(p[j], q[j], 1e-4, $"{what}: probability of photo {i}, class {j}");
        }
    }

    [TestMethod]
    [DynamicData(nameof(Architectures))]
    public void MappedNamesAndShapesAreTorchvisions(string architecture)
    {
        var network = new ImageNetwork(ImageArchitectures.Get(architecture), TorchvisionGolden.InputShape, TorchvisionGolden.Classes);
        using var module = ((LayeredArchitecture)network.Architecture).Create(TorchvisionGolden.InputShape, TorchvisionGolden.Classes, torch.META);
        var ours = module.state_dict().Select(p => (network.Architecture.ToPyTorchName(p.Key), p.Value.shape)).ToArray();
        var theirs = TorchvisionGolden.Tensors(architecture);
        CollectionAssert.AreEquivalent(theirs.Select(t => t.Name).ToArray(), ours.Select(t => t.Item1).ToArray(), "tensor names");
        foreach (var (name, shape) in theirs)
            CollectionAssert.AreEqual(shape, ours.Single(o => o.Item1 == name).shape, name);
    }

    [TestMethod]
    [DynamicData(nameof(NumericArchitectures))]
    public void TorchSaveFileGivesTorchvisionsLogits(string architecture)
    {
        var network = Network(architecture);
        using var module = network.Build();
        var report = ImageNetworkWeights.Load(network, module, TorchvisionGolden.WeightsOf(architecture));
        Assert.IsTrue(report.IsExact, report.ToString());
        Assert.AreEqual(TorchvisionGolden.Tensors(architecture).Length, report.Loaded.Count);
        AssertClose(TorchvisionGolden.Logits(architecture), Logits(module), architecture);
    }

    [TestMethod]
    [DataRow("resnet18", ".safetensors")]
    [DataRow("googlenet", ".pth")]
    public void SavedFileLoadsBackUnderTorchvisionsNames(string architecture, string extension)
    {
        var network = Network(architecture);
        using var module = network.Build();
        ImageNetworkWeights.Load(network, module, TorchvisionGolden.WeightsOf(architecture));
        string path = Path.Combine(Path.GetTempPath(), $"deepext-{Guid.NewGuid():N}{extension}");
        try
        {
            ImageNetworkWeights.Save(network, module, path);
            using (var saved = WeightFiles.Read(path))
            {
                CollectionAssert.AreEquivalent(TorchvisionGolden.Tensors(architecture).Select(t => t.Name).ToArray(), saved.Keys.ToArray(), "torchvision's names");
                using var original = WeightFiles.Read(TorchvisionGolden.WeightsOf(architecture));
                foreach (var (name, tensor) in original)
                    Assert.IsTrue(Same(tensor, saved[name]), name);
            }
            var fresh = Network(architecture);
            using var reloaded = fresh.Build();
            Assert.IsTrue(ImageNetworkWeights.Load(fresh, reloaded, path).IsExact);
            AssertClose(TorchvisionGolden.Logits(architecture), Logits(reloaded), architecture + extension);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void OtherClassCountReinitializesTheClassifierOnly()
    {
        var network = new ImageNetwork(ImageArchitectures.Get("googlenet"), TorchvisionGolden.InputShape, 5);
        using var module = network.Build();
        var report = ImageNetworkWeights.Load(network, module, TorchvisionGolden.WeightsOf("googlenet"));
        CollectionAssert.AreEquivalent(new[] { "fc.weight", "fc.bias" }, report.Reinitialized.ToArray());
        Assert.AreEqual(0, report.Missing.Count + report.Unexpected.Count + report.Mismatched.Count);
        Assert.AreEqual(TorchvisionGolden.Tensors("googlenet").Length - 2, report.Loaded.Count);
        using var file = WeightFiles.Read(TorchvisionGolden.WeightsOf("googlenet"));
        var weights = module.state_dict();
        Assert.IsTrue(Same(weights["inception5b.branch4.1.conv.weight"], file["inception5b.branch4.1.conv.weight"]));
        Assert.AreEqual(5L, weights["fc.weight"].shape[0]);
    }

    [TestMethod]
    public void WrongArchitectureNamesTheTensors()
    {
        var network = new ImageNetwork(ImageArchitectures.Get("resnet34"), TorchvisionGolden.InputShape, TorchvisionGolden.Classes);
        using var module = network.Build();
        var error = Assert.ThrowsExactly<WeightFileException>(() => ImageNetworkWeights.Load(network, module, TorchvisionGolden.WeightsOf("resnet18")));
        StringAssert.Contains(error.Message, "resnet18.pt");
        StringAssert.Contains(error.Message, "missing layer1.2.conv1.weight");

        var report = ImageNetworkWeights.Load(network, module, TorchvisionGolden.WeightsOf("resnet18"), strict: false);
        Assert.IsTrue(report.Missing.Contains("layer3.5.bn2.running_var"), report.ToString());
        Assert.AreEqual(0, report.Unexpected.Count);

        var bottleneck = new ImageNetwork(ImageArchitectures.Get("resnet50"), TorchvisionGolden.InputShape, TorchvisionGolden.Classes);
        using var module50 = bottleneck.Build();
        var shapes = Assert.ThrowsExactly<WeightFileException>(() => ImageNetworkWeights.Load(bottleneck, module50, TorchvisionGolden.WeightsOf("resnet18"), strict: false));
        StringAssert.Contains(shapes.Message, "layer1.0.conv1.weight: [64, 64, 3, 3] in the file, [64, 64, 1, 1] in the network");
    }
}
