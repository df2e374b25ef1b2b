using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Architectures;

[TestClass]
public sealed class ImageArchitecturesTests
{
    /// <summary>Starts LibTorch the library's way (idle OpenMP workers sleep) before any test touches a tensor.</summary>
    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    /// <summary>A user's own module: one convolution, global average pooling, a linear classifier.</summary>
    private sealed class TinyNet : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> _conv;
        private readonly nn.Module<Tensor, Tensor> _fc;

        public TinyNet(long channels, int classes)
            : base(nameof(TinyNet))
        {
            _conv = nn.Conv2d(channels, 4, 5);
            _fc = nn.Linear(4, classes);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => _fc.call(_conv.call(input).mean(new long[] { 2, 3 }));
    }

    [TestMethod]
    public void EveryBuiltInNameResolves()
    {
        CollectionAssert.AreEqual(new[] { "lenet", "alexnet", "vgg16", "vgg16-bn", "resnet18", "resnet34", "resnet50", "googlenet", "small-cnn" },
            ImageArchitectures.Names.Take(9).ToArray());
        foreach (var name in ImageArchitectures.Names.Take(9))
            Assert.AreEqual(name, ImageArchitectures.Get(name.ToUpperInvariant()).Name);
        Assert.AreSame(ImageArchitectures.ResNet18, ImageArchitectures.Get("resnet18"));
    }

    [TestMethod]
    public void UnknownNameListsTheValidOnes()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => ImageArchitectures.Get("resnet19"));
        StringAssert.Contains(e.Message, "Unknown image architecture 'resnet19'. Valid names: lenet, alexnet, vgg16, vgg16-bn, resnet18, resnet34, resnet50, googlenet, small-cnn");
    }

    [TestMethod]
    public void CustomFactoryIsRegisteredBuiltAndChecked()
    {
        var architecture = ImageArchitectures.Register("tiny-test", (shape, classes) => new TinyNet(shape[0], classes));
        try
        {
            Assert.AreSame(architecture, ImageArchitectures.Get("tiny-test"));
            CollectionAssert.Contains(ImageArchitectures.Names.ToArray(), "tiny-test");
            var network = new ImageNetwork(architecture, new long[] { 2, 9, 9 }, 3);
            using var module = network.Build();
            using var output = module.call(torch.zeros(4, 2, 9, 9));
            CollectionAssert.AreEqual(new long[] { 4, 3 }, output.shape);
            Assert.AreEqual(2 * 4 * 25 + 4 + 4 * 3 + 3, network.Summary().TotalParameters);

            // Too small for the 5×5 convolution: LibTorch's refusal becomes a message naming the architecture.
            var e = Assert.ThrowsExactly<ArgumentException>(() => new ImageNetwork(architecture, new long[] { 2, 3, 3 }, 3));
            StringAssert.StartsWith(e.Message, "The custom architecture 'tiny-test' fails on a 2×3×3 input image:");
        }
        finally
        {
            Assert.IsTrue(ImageArchitectures.Unregister("tiny-test"));
        }
    }

    [TestMethod]
    public void CustomFactoryWithTheWrongOutputIsRefused()
    {
        var architecture = ImageArchitectures.Register("wrong-output-test", (shape, classes) => new TinyNet(shape[0], classes + 1));
        try
        {
            var e = Assert.ThrowsExactly<ArgumentException>(() => new ImageNetwork(architecture, new long[] { 1, 8, 8 }, 3));
            StringAssert.Contains(e.Message, "The custom architecture 'wrong-output-test' gives an output of shape (1, 4) for one 1×8×8 image, expected (1, 3)");
        }
        finally
        {
            ImageArchitectures.Unregister("wrong-output-test");
        }
    }

    [TestMethod]
    public void CustomLayerDescriptionGetsShapeChecksAndSummary()
    {
        var architecture = ImageArchitectures.Register("layers-test", (shape, classes) => new LayerStack
        {
            { "conv", new Convolution(8, 3, padding: ConvolutionPadding.Same) },
            { "pool", new MaxPooling(4) },
            { "flatten", new Flatten() },
            { "fc", new FullyConnected(classes) },
        });
        try
        {
            Assert.AreSame(architecture, ImageArchitectures.Get("layers-test"));
            var network = new ImageNetwork(architecture, new long[] { 3, 8, 8 }, 5);
            Assert.AreEqual((8 * 3 * 9 + 8) + (8 * 2 * 2 * 5 + 5), network.Summary().TrainableParameters);
            using (var module = network.Build())
            using (var output = module.call(torch.zeros(2, 3, 8, 8)))
                CollectionAssert.AreEqual(new long[] { 2, 5 }, output.shape);
            var e = Assert.ThrowsExactly<InputShapeException>(() => new ImageNetwork(architecture, new long[] { 3, 3, 8 }, 5));
            Assert.AreEqual("Layer 'pool' (max pool 4×4, stride 4) needs an input of at least 4×4, got 3×8 for a 3×3×8 input image.", e.Message);
        }
        finally
        {
            ImageArchitectures.Unregister("layers-test");
        }
    }

    [TestMethod]
    public void BuiltInNamesCannotBeRegistered()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => ImageArchitectures.Register("ResNet18", (shape, classes) => new TinyNet(shape[0], classes)));
        StringAssert.Contains(e.Message, "'ResNet18' is a built-in architecture");
    }
}
