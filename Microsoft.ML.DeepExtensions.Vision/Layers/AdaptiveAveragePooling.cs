using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>
/// Adaptive average pooling to a fixed <c>H_out×W_out</c> whatever the input size, as torchvision's
/// AlexNet (6×6) and VGG (7×7) use before their classifiers, so that smaller images still fit the
/// fully connected layers.
/// </summary>
/// <remarks>
/// Formula: output cell <c>(y, x)</c> averages input rows <c>floor(y·H / H_out)</c> to
/// <c>ceil((y + 1)·H / H_out) - 1</c>, likewise for columns. An input smaller than the output repeats
/// input cells. No weights.
/// </remarks>
public sealed class AdaptiveAveragePooling : Layer
{
    /// <param name="height">Output height. Must be positive.</param>
    /// <param name="width">Output width. Must be positive.</param>
    public AdaptiveAveragePooling(int height, int width)
    {
        Height = LayerArguments.Positive(height, nameof(height), "Height");
        Width = LayerArguments.Positive(width, nameof(width), "Width");
    }

    public int Height { get; }

    public int Width { get; }

    /// <inheritdoc/>
    public override string Description => $"adaptive average pool to {Height}×{Width}";

    private protected override long[] LeafOutputShape(long[] input) => new[] { ImageShape.RequireImage(input).Channels, Height, Width };

    internal override nn.Module<Tensor, Tensor> CreateModule(long[] input, Device? device) => nn.AdaptiveAvgPool2d((Height, Width));
}
