using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Layers;

/// <summary>Residual and inception blocks compute their formulas with the weights of their own layers.</summary>
[TestClass]
public sealed class BlockTests
{
    /// <summary>Starts LibTorch the library's way (idle OpenMP workers sleep) before any test touches a tensor.</summary>
    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    [TestMethod]
    public void ResidualBlockAddsTheInputThenActivates()
    {
        using var scope = torch.NewDisposeScope();
        var block = new ResidualBlock(new LayerStack { { "conv1", new Convolution(2, 3, padding: ConvolutionPadding.Same) } });
        using var module = block.Build(new long[] { 2, 5, 5 });
        var parameters = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        CollectionAssert.AreEquivalent(new[] { "conv1.weight", "conv1.bias" }, parameters.Keys.ToArray());
        var x = torch.randn(3, 2, 5, 5);
        using var noGrad = torch.no_grad();
        var expected = nn.functional.relu(nn.functional.conv2d(x, parameters["conv1.weight"], parameters["conv1.bias"], padding: new long[] { 1, 1 }) + x);
        Assert.IsTrue(module.call(x).allclose(expected, rtol: 1e-5, atol: 1e-6));
    }

    [TestMethod]
    public void ResidualBlockWithDownsampleUsesTheShortcutLayers()
    {
        using var scope = torch.NewDisposeScope();
        var block = new ResidualBlock(
            new LayerStack { { "conv1", new Convolution(4, 3, stride: 2, padding: ConvolutionPadding.Explicit(1), bias: false) } },
            new LayerStack { { "0", new Convolution(4, 1, stride: 2, bias: false) } },
            kind: "BasicBlock");
        var input = new long[] { 2, 6, 6 };
        CollectionAssert.AreEqual(new long[] { 4, 3, 3 }, block.OutputShape(input));
        using var module = block.Build(input);
        var parameters = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var x = torch.randn(1, 2, 6, 6);
        using var noGrad = torch.no_grad();
        var residual = nn.functional.conv2d(x, parameters["conv1.weight"], strides: new long[] { 2, 2 }, padding: new long[] { 1, 1 });
        var shortcut = nn.functional.conv2d(x, parameters["downsample.0.weight"], strides: new long[] { 2, 2 });
        Assert.IsTrue(module.call(x).allclose(nn.functional.relu(residual + shortcut), rtol: 1e-5, atol: 1e-6));
    }

    [TestMethod]
    public void InceptionBlockConcatenatesItsBranchesAlongTheChannels()
    {
        using var scope = torch.NewDisposeScope();
        var block = new InceptionBlock(
            ("branch1", new Convolution(3, 1)),
            ("branch2", new MaxPooling(3, stride: 1, padding: 1)));
        var input = new long[] { 2, 4, 5 };
        CollectionAssert.AreEqual(new long[] { 5, 4, 5 }, block.OutputShape(input));
        using var module = block.Build(input);
        var parameters = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var x = torch.randn(2, 2, 4, 5);
        using var noGrad = torch.no_grad();
        var output = module.call(x);
        var branch1 = nn.functional.conv2d(x, parameters["branch1.weight"], parameters["branch1.bias"]);
        var branch2 = nn.functional.max_pool2d(x, 3, 1, 1);
        Assert.IsTrue(output.narrow(1, 0, 3).allclose(branch1, rtol: 1e-5, atol: 1e-6));
        Assert.IsTrue(output.narrow(1, 3, 2).eq(branch2).all().item<bool>());
    }

    [TestMethod]
    public void InceptionBranchesOfDifferentSizesAreRefused()
    {
        var block = new InceptionBlock(("branch1", new Convolution(3, 1)), ("branch2", new Convolution(3, 3)));
        var e = Assert.ThrowsExactly<InputShapeException>(() => new LayerStack { { "mixed", block } }.OutputShape(new long[] { 2, 6, 6 }));
        StringAssert.Contains(e.Message, "Layer 'mixed' (inception block of 2 branches) cannot concatenate its branches: branch1 gives (3, 6, 6) but branch2 gives (3, 4, 4)");
    }
}
