using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// <c>[cost]</c>: Darknet computes a training loss here and passes its input on unchanged; the trainers of this
/// project bring their own loss, so the layer is the identity.
/// </summary>
public sealed class DarknetCostLayer : DarknetLayer
{
    internal DarknetCostLayer(int index, DarknetSection section, DarknetShape input)
        : base("DarknetCost", index, section, input)
    {
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, IReadOnlyList<Tensor?> outputs) => input.alias();
}
