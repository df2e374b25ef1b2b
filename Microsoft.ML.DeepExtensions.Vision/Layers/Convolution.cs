using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>
/// A 2-D convolution: each of <see cref="Filters"/> filters computes dot products with every
/// <c>f×f</c> patch of the input (across all input channels), giving one output channel each.
/// </summary>
/// <remarks>
/// Formula: <c>out[o, y, x] = b[o] + Σ_c Σ_i Σ_j w[o, c, i, j] · in[c, s·y + d·i - p, s·x + d·j - p]</c>
/// (zeros outside the input); output size per axis (cheat sheet) <c>(n + 2p - f_eff) / s + 1</c> with
/// <c>f_eff = d·(f - 1) + 1</c>, see <see cref="ConvolutionArithmetic"/>. Input channels come from the
/// input shape. Weights: <c>filters · C · f²</c>, plus <c>filters</c> biases.
/// </remarks>
public sealed class Convolution : Layer
{
    /// <param name="filters">Output channels.</param>
    /// <param name="kernelSize">Filter height and width <c>f</c>.</param>
    /// <param name="stride">Step <c>s</c> between windows. Defaults to 1.</param>
    /// <param name="padding">Zero padding: <see cref="Padding.Valid"/>, <see cref="Padding.Same"/> or <see cref="Padding.Explicit"/>. Defaults to valid.</param>
    /// <param name="dilation">Spacing <c>d</c> between filter taps. Defaults to 1.</param>
    /// <param name="bias">Whether each filter has a bias (false before batch normalization). Defaults to true.</param>
    public Convolution(int filters, int kernelSize, int stride = 1, Padding? padding = null, int dilation = 1, bool bias = true)
    {
        Filters = LayerArguments.Positive(filters, nameof(filters), "Filters");
        KernelSize = LayerArguments.Positive(kernelSize, nameof(kernelSize), "KernelSize");
        Stride = LayerArguments.Positive(stride, nameof(stride), "Stride");
        Dilation = LayerArguments.Positive(dilation, nameof(dilation), "Dilation");
        Padding = padding ?? Padding.Valid;
        Bias = bias;
    }

    public int Filters { get; }

    public int KernelSize { get; }

    public int Stride { get; }

    public Padding Padding { get; }

    public int Dilation { get; }

    public bool Bias { get; }

    /// <inheritdoc/>
    public override string Description =>
        $"convolution {Filters} × {KernelSize}×{KernelSize}" + (Stride != 1 ? $", stride {Stride}" : "") +
        (Padding.Equals(Padding.Valid) ? "" : $", {Padding}") + (Dilation != 1 ? $", dilation {Dilation}" : "");

    private protected override long[] LeafOutputShape(long[] input)
    {
        var (_, h, w) = ImageShape.RequireImage(input);
        var (top, bottom) = Padding.Amount(h, KernelSize, Stride, Dilation);
        var (left, right) = Padding.Amount(w, KernelSize, Stride, Dilation);
        long outH = ConvolutionArithmetic.OutputSize(h + top + bottom, KernelSize, Stride, 0, Dilation);
        long outW = ConvolutionArithmetic.OutputSize(w + left + right, KernelSize, Stride, 0, Dilation);
        if (outH < 1 || outW < 1)
        {
            long min = ConvolutionArithmetic.MinimumInput(KernelSize, Stride, Padding.Pixels, Dilation);
            throw new LayerShapeException($"needs an input of at least {min}×{min}, got {h}×{w}");
        }
        return new[] { Filters, outH, outW };
    }

    private protected override (long Trainable, long Buffers) LeafParameters(long[] input) =>
        ((long)Filters * input[0] * KernelSize * KernelSize + (Bias ? Filters : 0), 0);

    private protected override long LeafMultiplyAdds(long[] input, long[] output) =>
        output[0] * output[1] * output[2] * input[0] * KernelSize * KernelSize;

    internal override nn.Module<Tensor, Tensor> CreateModule(long[] input, Device? device)
    {
        var (top, bottom) = Padding.Amount(input[1], KernelSize, Stride, Dilation);
        var (left, right) = Padding.Amount(input[2], KernelSize, Stride, Dilation);
        if (top == bottom && left == right)
            return nn.Conv2d(input[0], Filters, (KernelSize, KernelSize), stride: (Stride, Stride), padding: (top, left),
                dilation: (Dilation, Dilation), bias: Bias, device: device);
        // Same padding with an odd total needs one more zero row/column after than before, which
        // PyTorch's symmetric padding cannot express: pad explicitly, then convolve without padding.
        var convolution = nn.Conv2d(input[0], Filters, (KernelSize, KernelSize), stride: (Stride, Stride), padding: (0, 0),
            dilation: (Dilation, Dilation), bias: Bias, device: device);
        return new PaddedConvolutionModule(convolution, new[] { left, right, top, bottom }, Stride, Dilation);
    }
}
