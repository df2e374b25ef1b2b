using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Activations;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Layers;

/// <summary>The shapes inferred without tensors are those the TorchSharp modules really produce.</summary>
[TestClass]
public sealed class LayerShapeTests
{
    /// <summary>Starts LibTorch the library's way (idle OpenMP workers sleep) before any test touches a tensor.</summary>
    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    private static long[] RealOutputShape(Layer layer, long[] input)
    {
        using var scope = torch.NewDisposeScope();
        using var module = layer.Build(input);
        module.eval();
        using var noGrad = torch.no_grad();
        return module.call(torch.zeros(new long[] { 2 }.Concat(input).ToArray())).shape.Skip(1).ToArray();
    }

    private static void AssertInferredShapeIsReal(Layer layer, long[] input)
    {
        var inferred = layer.OutputShape(input);
        CollectionAssert.AreEqual(RealOutputShape(layer, input), inferred, $"{layer.Description} on {string.Join("×", input)}");
    }

    [TestMethod]
    public void ConvolutionShapesMatchTheModules()
    {
        var paddings = new[] { ConvolutionPadding.Valid, ConvolutionPadding.Same, ConvolutionPadding.Explicit(1), ConvolutionPadding.Explicit(2) };
        // An odd height and an even width: same padding splits odd totals on one axis and even ones on the other.
        var input = new long[] { 2, 9, 12 };
        foreach (int kernel in new[] { 1, 2, 3, 5 })
        foreach (int stride in new[] { 1, 2, 3 })
        foreach (int dilation in new[] { 1, 2 })
        foreach (var padding in paddings)
        {
            var convolution = new Convolution(3, kernel, stride, padding, dilation);
            AssertInferredShapeIsReal(convolution, input);
            if (padding.Equals(ConvolutionPadding.Same))
                CollectionAssert.AreEqual(new long[] { 3, (9 + stride - 1) / stride, (12 + stride - 1) / stride }, convolution.OutputShape(input), "same: ceil(n / s)");
        }
    }

    [TestMethod]
    public void PoolingShapesMatchTheModules()
    {
        var input = new long[] { 2, 7, 8 };
        foreach (int kernel in new[] { 2, 3, 4 })
        foreach (int stride in new[] { 1, 2, 3 })
        foreach (int padding in new[] { 0, 1 })
        foreach (bool ceil in new[] { false, true })
        {
            AssertInferredShapeIsReal(new MaxPooling(kernel, stride, padding, ceil), input);
            AssertInferredShapeIsReal(new AveragePooling(kernel, stride, padding, ceil), input);
        }
    }

    [TestMethod]
    public void OtherLayersShapesMatchTheModules()
    {
        var image = new long[] { 4, 5, 6 };
        AssertInferredShapeIsReal(new GlobalAveragePooling(), image);
        AssertInferredShapeIsReal(new AdaptiveAveragePooling(3, 2), image);
        AssertInferredShapeIsReal(new AdaptiveAveragePooling(7, 7), image);
        AssertInferredShapeIsReal(new ZeroPadding(1, 2, 3, 4), image);
        AssertInferredShapeIsReal(new BatchNormalization(), image);
        AssertInferredShapeIsReal(new LocalResponseNormalization(), image);
        AssertInferredShapeIsReal(new Dropout(0.3), image);
        AssertInferredShapeIsReal(new Flatten(), image);
        AssertInferredShapeIsReal(new ActivationLayer(Activations.Activations.LeakyReLU(0.2)), image);
        AssertInferredShapeIsReal(new FullyConnected(7), new long[] { 120 });
        AssertInferredShapeIsReal(new BatchNormalization(), new long[] { 120 });
    }

    [TestMethod]
    public void ParameterCountsMatchTheModules()
    {
        var stack = new LayerStack
        {
            { "conv", new Convolution(8, 3, padding: ConvolutionPadding.Same) },
            { "bn", new BatchNormalization() },
            { "odd", new Convolution(5, 4, stride: 2, padding: ConvolutionPadding.Same, dilation: 2, bias: false) },
            { "flatten", new Flatten() },
            { "fc", new FullyConnected(3) },
        };
        using var module = stack.Build(new long[] { 2, 9, 9 });
        long expected = (8 * 2 * 9 + 8) + 2 * 8 + 5 * 8 * 16 + (5 * 5 * 5 * 3 + 3);
        Assert.AreEqual(expected, module.parameters().Sum(p => p.numel()));
        var architecture = ImageArchitectures.Register("count-test", (shape, classes) => stack);
        try
        {
            var network = new ImageNetwork(architecture, new long[] { 2, 9, 9 }, 3);
            Assert.AreEqual(expected, network.Summary().TrainableParameters, "inferred");
            Assert.AreEqual(2 * 8, network.Summary().TotalParameters - expected, "batch normalization's running mean and variance");
        }
        finally
        {
            ImageArchitectures.Unregister("count-test");
        }
    }

    [TestMethod]
    public void TooSmallInputNamesTheLayerAndTheSizes()
    {
        var features = new LayerStack
        {
            { "conv1", new Convolution(4, 3, padding: ConvolutionPadding.Same) },
            { "pool1", new MaxPooling(2) },
            { "pool2", new MaxPooling(2) },
            { "pool3", new MaxPooling(2) },
        };
        var network = new LayerStack { { "features", features } };
        var e = Assert.ThrowsExactly<InputShapeException>(() => network.OutputShape(new long[] { 3, 5, 5 }));
        Assert.AreEqual("Layer 'features.pool3' (max pool 2×2, stride 2) needs an input of at least 2×2, got 1×1 for a 3×5×5 input image.", e.Message);
        Assert.AreEqual("features.pool3", e.LayerPath);

        var conv = Assert.ThrowsExactly<InputShapeException>(() => new LayerStack { { "conv", new Convolution(2, 3, padding: ConvolutionPadding.Explicit(1), dilation: 3) } }.OutputShape(new long[] { 1, 4, 9 }));
        Assert.AreEqual("Layer 'conv' (convolution 2 × 3×3, padding 1, dilation 3) needs an input of at least 5×5, got 4×9 for a 1×4×9 input image.", conv.Message);
    }

    [TestMethod]
    public void WrongRankIsRefusedNamingTheLayer()
    {
        var network = new LayerStack { { "conv", new Convolution(2, 3) }, { "fc", new FullyConnected(4) } };
        var e = Assert.ThrowsExactly<InputShapeException>(() => network.OutputShape(new long[] { 1, 8, 8 }));
        StringAssert.Contains(e.Message, "Layer 'fc' (fully connected 4) needs a flat input (put a Flatten or GlobalAveragePooling before it), got (2, 6, 6)");
        var pool = Assert.ThrowsExactly<InputShapeException>(() => new LayerStack { { "pool", new MaxPooling(2) } }.OutputShape(new long[] { 10 }));
        StringAssert.Contains(pool.Message, "Layer 'pool' (max pool 2×2, stride 2) needs a C×H×W input, got (10)");
    }

    [TestMethod]
    public void ResidualPathsThatDisagreeAreRefused()
    {
        var block = new ResidualBlock(new LayerStack { { "conv1", new Convolution(8, 3, stride: 2, padding: ConvolutionPadding.Explicit(1)) } });
        var e = Assert.ThrowsExactly<InputShapeException>(() => new LayerStack { { "block", block } }.OutputShape(new long[] { 4, 8, 8 }));
        StringAssert.Contains(e.Message, "Layer 'block' (ResidualBlock with identity shortcut) cannot add its paths: the residual layers give (8, 4, 4) but the shortcut gives (4, 8, 8)");
    }

    [TestMethod]
    public void InvalidHyperparametersAreRefused()
    {
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Convolution(0, 3)).Message, "Filters must be positive, got 0.");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Convolution(4, 3, stride: -1)).Message, "Stride must be positive, got -1.");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MaxPooling(2, padding: 2)).Message, "Padding must be at most half the kernel size (2), got 2.");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Dropout(1)).Message, "Rate must be in [0, 1), got 1.");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ConvolutionPadding.Explicit(-1)).Message, "Padding must be zero or positive, got -1.");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new LayerStack { { "a.b", new Flatten() } }).Message, "without dots, got 'a.b'");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new LayerStack { { "a", new Flatten() }, { "a", new Flatten() } }).Message, "'a' is used twice");
    }
}
