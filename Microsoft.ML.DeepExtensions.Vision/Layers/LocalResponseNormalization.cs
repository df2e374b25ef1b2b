using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>
/// Local response normalization (AlexNet): divides each activation by a power of the summed squares
/// of the activations at the same position in <see cref="Size"/> neighbouring channels, a form of
/// lateral inhibition.
/// </summary>
/// <remarks>
/// Formula (PyTorch's and Caffe's convention, <c>α</c> divided by <c>n</c>):
/// <c>b[c] = a[c] / (k + (α / n) · Σ_{c' = c - ⌊n/2⌋}^{c + ⌈n/2⌉ - 1} a[c']²)^β</c>, channels outside
/// the range counting as zeros. AlexNet used <c>n = 5, α = 1e-4, β = 0.75, k = 2</c>. No weights.
/// Paper: Krizhevsky, Sutskever and Hinton, "ImageNet Classification with Deep Convolutional Neural Networks", NIPS 2012.
/// </remarks>
public sealed class LocalResponseNormalization : Layer
{
    /// <param name="size">Neighbouring channels <c>n</c> summed over. Defaults to 5.</param>
    /// <param name="alpha">Scale <c>α</c> (divided by <c>n</c>). Defaults to 1e-4.</param>
    /// <param name="beta">Exponent <c>β</c>. Defaults to 0.75.</param>
    /// <param name="k">Additive constant <c>k</c>. Defaults to 1 (PyTorch's default; AlexNet used 2).</param>
    public LocalResponseNormalization(int size = 5, double alpha = 1e-4, double beta = 0.75, double k = 1)
    {
        Size = LayerArguments.Positive(size, nameof(size), "Size");
        Alpha = LayerArguments.NotNegativeFinite(alpha, nameof(alpha), "Alpha");
        Beta = LayerArguments.NotNegativeFinite(beta, nameof(beta), "Beta");
        K = LayerArguments.PositiveFinite(k, nameof(k), "K");
    }

    public int Size { get; }

    public double Alpha { get; }

    public double Beta { get; }

    public double K { get; }

    /// <inheritdoc/>
    public override string Description => $"local response normalization over {Size} channels";

    private protected override long[] LeafOutputShape(long[] input)
    {
        ImageShape.RequireImage(input);
        return input;
    }

    internal override nn.Module<Tensor, Tensor> CreateModule(long[] input, Device? device) => nn.LocalResponseNorm(Size, Alpha, Beta, K);
}
