using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>
/// Zero padding: adds rows and columns of zeros around each channel (cheat sheet: so that images do
/// not shrink and border pixels count as much as the others). LeNet-5 uses it to bring 28×28 digits to
/// the 32×32 it was designed for.
/// </summary>
/// <remarks>Formula: output <c>[C, top + H + bottom, left + W + right]</c>, the new cells 0. No weights.</remarks>
public sealed class ZeroPadding : Layer
{
    /// <param name="top">Rows of zeros above.</param>
    /// <param name="bottom">Rows of zeros below.</param>
    /// <param name="left">Columns of zeros on the left.</param>
    /// <param name="right">Columns of zeros on the right.</param>
    public ZeroPadding(int top, int bottom, int left, int right)
    {
        Top = LayerArguments.NotNegative(top, nameof(top), "Top");
        Bottom = LayerArguments.NotNegative(bottom, nameof(bottom), "Bottom");
        Left = LayerArguments.NotNegative(left, nameof(left), "Left");
        Right = LayerArguments.NotNegative(right, nameof(right), "Right");
    }

    /// <param name="pixels">Rows and columns of zeros on every side.</param>
    public ZeroPadding(int pixels)
        : this(pixels, pixels, pixels, pixels)
    {
    }

    public int Top { get; }

    public int Bottom { get; }

    public int Left { get; }

    public int Right { get; }

    /// <inheritdoc/>
    public override string Description => Top == Bottom && Bottom == Left && Left == Right
        ? $"zero padding {Top}"
        : $"zero padding top {Top}, bottom {Bottom}, left {Left}, right {Right}";

    private protected override long[] LeafOutputShape(long[] input)
    {
        var (c, h, w) = ImageShape.RequireImage(input);
        return new[] { c, Top + h + Bottom, Left + w + Right };
    }

    internal override nn.Module<Tensor, Tensor> CreateModule(long[] input, Device? device) => nn.ZeroPad2d((Left, Right, Top, Bottom));
}
