using Microsoft.ML.DeepExtensions.Vision.Onnx.Import;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// An imported ONNX network as an R-CNN's feature extractor (the <c>body</c> of an <see cref="RcnnBackbone"/>, like
/// <see cref="ResNetBody"/>): one pass through the graph returns the chosen values, finest first, e.g. the outputs of
/// a ResNet's four stages. Its initializers are trainable parameters (<see cref="OnnxGraphModule"/>), so the detector
/// trainers fine-tune them inside <c>Fit()</c>; they are saved under <c>backbone.body.graph.</c>.
/// </summary>
public sealed class OnnxRcnnBody : nn.Module<Tensor, Tensor[]>
{
    private readonly OnnxGraphModule _graph;

    internal OnnxRcnnBody(OnnxGraphModule graph, IReadOnlyList<int> outChannels) : base(nameof(OnnxRcnnBody))
    {
        _graph = graph;
        OutChannels = outChannels.ToArray();
        register_module("graph", graph);
    }

    /// <summary>The imported graph.</summary>
    public OnnxGraphModule Graph => _graph;

    /// <summary>Channels of each returned map, in <see cref="OnnxGraphModule.OutputNames"/> order.</summary>
    public IReadOnlyList<int> OutChannels { get; }

    /// <summary>The feature maps of <c>[N, 3, H, W]</c> normalized images.</summary>
    public override Tensor[] forward(Tensor images) => _graph.ForwardAll(images);

    /// <summary>The graph is registered by name in the constructor; TorchSharp must not add the field again.</summary>
    protected override void RegisterComponents()
    {
    }
}
