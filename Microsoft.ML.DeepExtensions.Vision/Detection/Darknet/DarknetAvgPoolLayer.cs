using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary><c>[avgpool]</c>: Darknet's average pooling is global, <c>[N, C, H, W]</c> to <c>[N, C, 1, 1]</c>.</summary>
public sealed class DarknetAvgPoolLayer : DarknetLayer
{
    internal DarknetAvgPoolLayer(int index, DarknetSection section, DarknetShape input)
        : base("DarknetAvgPool", index, section, new DarknetShape(input.Channels, 1, 1))
    {
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, IReadOnlyList<Tensor?> outputs) => input.mean(new long[] { 2, 3 }, keepdim: true);
}
