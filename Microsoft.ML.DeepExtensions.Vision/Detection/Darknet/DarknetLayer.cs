using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// One layer of a <see cref="DarknetNetwork"/>, built from one cfg section. Layers that read earlier layers'
/// outputs (<c>[route]</c>, <c>[shortcut]</c>) list them in <see cref="Sources"/>, so the network keeps exactly those
/// outputs alive during a forward pass.
/// </summary>
public abstract class DarknetLayer : nn.Module
{
    private protected DarknetLayer(string name, int index, DarknetSection section, DarknetShape outputShape)
        : base(name)
    {
        Index = index;
        Section = section;
        OutputShape = outputShape;
    }

    /// <summary>The Darknet layer index (0 = the first section after <c>[net]</c>).</summary>
    public int Index { get; }

    /// <summary>The section the layer was built from.</summary>
    public DarknetSection Section { get; }

    /// <summary>The layer's type.</summary>
    public DarknetLayerKind Kind => Section.Kind;

    /// <summary>The output size for one image.</summary>
    public DarknetShape OutputShape { get; }

    /// <summary>Indices of earlier layers whose outputs the layer reads besides its input (the previous layer's output).</summary>
    public virtual IReadOnlyList<int> Sources => Array.Empty<int>();

    /// <summary>Runs the layer on <paramref name="input"/> ([N, C, H, W], the previous layer's output).</summary>
    /// <param name="input">The previous layer's output (the network's input for layer 0).</param>
    /// <param name="outputs">The outputs of earlier layers by index; those in <see cref="Sources"/> are set.</param>
    public abstract Tensor Forward(Tensor input, IReadOnlyList<Tensor?> outputs);

    /// <summary>Weights and buffers the layer owns, as <see cref="Networks.NetworkSummary"/> counts them.</summary>
    internal long ParameterCount =>
        parameters().Sum(p => p.numel()) + named_buffers().Where(b => b.Item2.is_floating_point()).Sum(b => b.Item2.numel());

    public override string ToString() => $"{Index} {Section.Header} -> {OutputShape}";
}
