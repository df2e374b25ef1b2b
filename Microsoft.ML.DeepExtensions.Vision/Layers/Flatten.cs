using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>Flattens feature maps into one feature vector for the fully connected layers.</summary>
/// <remarks>Formula: <c>[C, H, W] → [C·H·W]</c>, channel-major (as PyTorch's <c>flatten(1)</c>). No weights.</remarks>
public sealed class Flatten : Layer
{
    /// <inheritdoc/>
    public override string Description => "flatten";

    private protected override long[] LeafOutputShape(long[] input) => new[] { input.Aggregate(1L, (a, b) => a * b) };

    internal override nn.Module<Tensor, Tensor> CreateModule(long[] input, Device? device) => nn.Flatten();
}
