using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;
using Microsoft.ML.DeepExtensions.Vision.Onnx.Import;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.TwoStage;

/// <summary>
/// Frozen batch normalization (torchvision's <c>FrozenBatchNorm2d</c>) on both kinds of detector body: in training mode the
/// body computes what it computes in evaluation mode (the running statistics normalize), one SGD step leaves the norms'
/// scale, shift and statistics alone, and the convolutions and the pyramid still train.
/// </summary>
[TestClass]
public sealed class FrozenBatchNormTests
{
    [ClassInitialize]
    public static void Start(TestContext context) => TorchBackend.EnsureStarted();

    [TestMethod]
    public void AResNetBodyWithFrozenNormsTrainsOnlyItsConvolutionsAndThePyramid()
    {
        torch.manual_seed(4);
        using var backbone = RcnnBackbone.ResNetFpn(18, fpnChannels: 16);
        SkewRunningStatistics(backbone);
        backbone.FreezeBatchNorm();
        var norms = backbone.modules().OfType<TorchSharp.Modules.BatchNorm2d>().ToArray();
        Assert.AreEqual(20, norms.Length, "ResNet-18 has 20 batch norms");
        AssertFrozenStepLeavesNormsAlone(backbone, norms.SelectMany(n => n.parameters().Cast<Tensor>().Concat(n.buffers())).ToArray(),
            convolution: backbone.named_parameters().Single(p => p.name == "body.layer1.0.conv1.weight").parameter,
            pyramid: backbone.named_parameters().First(p => p.name.StartsWith("fpn.", StringComparison.Ordinal)).parameter);
        Assert.IsTrue(norms.All(n => !n.training), "the norms stay in evaluation mode when the detector trains");
    }

    [TestMethod]
    public void AnOnnxBodyWithFrozenNormsTrainsOnlyItsConvolutions()
    {
        string file = Path.Combine(AppContext.BaseDirectory, "Vision", "Detection", "Models", "tiny_onnx_backbone.onnx");
        using var graph = OnnxGraphModule.Import(file, "stage4");
        graph.FreezeBatchNormalization();
        var frozenParameters = graph.parameters().Where(p => !p.requires_grad).ToArray();
        var statistics = graph.buffers().ToArray();
        Assert.IsTrue(statistics.Length > 0 && frozenParameters.Length == statistics.Length, "each norm's scale and shift are frozen, as many as its mean and variance");
        var frozen = frozenParameters.Cast<Tensor>().Concat(statistics).ToArray();
        AssertFrozenStepLeavesNormsAlone(new SingleOutput(graph), frozen,
            convolution: graph.parameters().First(p => p.requires_grad && p.dim() == 4), pyramid: null);
    }

    /// <summary>One SGD step in training mode on random images; the body's output in training mode equals evaluation mode's.</summary>
    private static void AssertFrozenStepLeavesNormsAlone(nn.Module<Tensor, Tensor[]> body, Tensor[] frozen, Tensor convolution, Tensor? pyramid)
    {
        var images = torch.rand(2, 3, 64, 64, generator: new torch.Generator(9));
        var before = frozen.Select(t => t.detach().clone()).ToArray();
        var convolutionBefore = convolution.detach().clone();
        var pyramidBefore = pyramid?.detach().clone();

        body.eval();
        using (torch.no_grad())
        {
            var evaluation = body.call(images);
            body.train();
            var training = body.call(images);
            for (int i = 0; i < evaluation.Length; i++)
                Assert.IsTrue(training[i].allclose(evaluation[i], rtol: 1e-5, atol: 1e-6), $"map {i}: training mode normalizes with the running statistics");
        }

        var trainable = body.parameters().Where(p => p.requires_grad).ToArray();
        using var optimizer = torch.optim.SGD(trainable, 0.1);
        optimizer.zero_grad();
        body.call(images).Select(m => m.square().mean()).Aggregate((a, b) => a + b).backward();
        optimizer.step();

        for (int i = 0; i < frozen.Length; i++)
            Assert.IsTrue(frozen[i].allclose(before[i], rtol: 0, atol: 0), $"frozen tensor {i} moved");
        Assert.IsFalse(convolution.allclose(convolutionBefore), "the convolutions train");
        if (pyramid is not null)
            Assert.IsFalse(pyramid.allclose(pyramidBefore!), "the pyramid trains");
    }

    /// <summary>Running statistics away from 0 and 1, so normalizing with the batch's instead would show.</summary>
    private static void SkewRunningStatistics(nn.Module module)
    {
        using var noGrad = torch.no_grad();
        foreach (var norm in module.modules().OfType<TorchSharp.Modules.BatchNorm2d>())
        {
            norm.running_mean!.uniform_(-0.2, 0.2);
            norm.running_var!.uniform_(0.5, 1.5);
        }
    }

    /// <summary>A graph module as a body: its one output as the only map.</summary>
    private sealed class SingleOutput : nn.Module<Tensor, Tensor[]>
    {
        private readonly OnnxGraphModule _graph;

        public SingleOutput(OnnxGraphModule graph) : base(nameof(SingleOutput))
        {
            _graph = graph;
            register_module("graph", graph);
        }

        public override Tensor[] forward(Tensor input) => new[] { _graph.forward(input) };

        protected override void RegisterComponents()
        {
        }
    }
}
