using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>
/// Global average pooling: each channel's feature map is replaced by its mean, giving one feature per
/// channel whatever the input size (ResNet, GoogLeNet). Output <c>[C]</c>, ready for a <see cref="FullyConnected"/> layer.
/// </summary>
/// <remarks>Formula: <c>out[c] = (1 / (H·W)) · Σ_y Σ_x in[c, y, x]</c>. No weights.</remarks>
public sealed class GlobalAveragePooling : Layer
{
    /// <inheritdoc/>
    public override string Description => "global average pool";

    private protected override long[] LeafOutputShape(long[] input) => new[] { ImageShape.RequireImage(input).Channels };

    internal override nn.Module<Tensor, Tensor> CreateModule(long[] input, Device? device) => new GlobalAveragePoolingModule();

    private sealed class GlobalAveragePoolingModule() : nn.Module<Tensor, Tensor>("GlobalAveragePooling")
    {
        public override Tensor forward(Tensor input) => input.mean(new long[] { 2, 3 });
    }
}
