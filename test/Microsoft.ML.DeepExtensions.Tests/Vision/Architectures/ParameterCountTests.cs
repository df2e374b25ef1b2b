using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Tests.Vision.Layers;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Architectures;

/// <summary>
/// Parameter counts for 3×224×224 and 1,000 classes equal torchvision's (Golden/vision_layers.json,
/// from Golden/generate_vision_layers.py). Counted by shape inference; the modules are built on the
/// <c>meta</c> device (shapes without memory) to check that they hold exactly those weights.
/// </summary>
[TestClass]
public sealed class ParameterCountTests
{
    /// <summary>Starts LibTorch the library's way (idle OpenMP workers sleep) before any test touches a tensor.</summary>
    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    private static readonly long[] ImageNet = { 3, 224, 224 };

    [TestMethod]
    [DataRow("alexnet", 61_100_840L)]
    [DataRow("vgg16", 138_357_544L)]
    [DataRow("vgg16-bn", 138_365_992L)]
    [DataRow("resnet18", 11_689_512L)]
    [DataRow("resnet34", 21_797_672L)]
    [DataRow("resnet50", 25_557_032L)]
    [DataRow("googlenet", 6_624_904L)]
    public void ImageNetCountsEqualTorchvision(string name, long required)
    {
        var architecture = (LayeredArchitecture)ImageArchitectures.Get(name);
        long torchvision = VisionGolden.Architecture(name).GetProperty("total").GetInt64();
        Assert.AreEqual(required, torchvision, "the issue's number is torchvision's");
        Assert.AreEqual(torchvision, architecture.TrainableParameters(ImageNet, 1000), "inferred from the layer descriptions");
        Assert.AreEqual(torchvision, new ImageNetwork(architecture, ImageNet, 1000).Summary().TrainableParameters, "summary");

        using var module = architecture.Create(ImageNet, 1000, torch.device("meta"));
        Assert.AreEqual(torchvision, module.parameters().Sum(p => p.numel()), "the module built on the meta device");
    }

    [TestMethod]
    public void LeNet5HasTheClassicCount()
    {
        // C1 6·(25+1), C3 16·(6·25+1), C5 120·(16·25+1), F6 84·(120+1), output 10·(84+1).
        long classic = 6 * 26 + 16 * 151 + 120 * 401 + 84 * 121 + 10 * 85;
        Assert.AreEqual(61_706, classic);
        Assert.AreEqual(classic, ImageArchitectures.LeNet5.TrainableParameters(new long[] { 1, 32, 32 }, 10));
        using var module = ImageArchitectures.LeNet5.Create(new long[] { 1, 32, 32 }, 10);
        Assert.AreEqual(classic, module.parameters().Sum(p => p.numel()));
    }

    [TestMethod]
    [DataRow("resnet18")]
    [DataRow("resnet50")]
    [DataRow("googlenet")]
    public void ParameterNamesAndShapesEqualTorchvision(string name)
    {
        var expected = VisionGolden.Architecture(name).GetProperty("parameters").EnumerateArray()
            .Select(p => $"{p.GetProperty("name").GetString()} [{string.Join(", ", p.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()))}]")
            .ToArray();
        using var module = ((LayeredArchitecture)ImageArchitectures.Get(name)).Create(ImageNet, 1000, torch.device("meta"));
        var actual = module.named_parameters().Select(p => $"{p.name} [{string.Join(", ", p.parameter.shape)}]").ToArray();
        CollectionAssert.AreEqual(expected, actual, $"first difference: {expected.Zip(actual).FirstOrDefault(p => p.First != p.Second)}");
    }

    [TestMethod]
    public void SmallCnnIsCheap()
    {
        var input = new long[] { 1, 28, 28 };
        // Convolutions on 28×28 and 14×14; the head on 64·7·7 features.
        long multiplyAdds = 28 * 28 * 32 * 9 + 14 * 14 * 64 * 32 * 9 + 3136 * 128 + 128 * 10;
        Assert.AreEqual(multiplyAdds, ImageArchitectures.SmallCnn.MultiplyAdds(input, 10));
        Assert.IsTrue(multiplyAdds < 10_000_000, $"{multiplyAdds:N0} multiply-adds per image");
        // Convolutions and fc1 without bias (batch normalization follows), 3 batch norms (γ, β), fc2 128·10 + 10.
        Assert.AreEqual(32 * 9 + 64 * 32 * 9 + 2 * (32 + 64 + 128) + 3136 * 128 + (128 * 10 + 10),
            ImageArchitectures.SmallCnn.TrainableParameters(input, 10));
    }
}
