namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>
/// A pooling layer: slides an <c>f×f</c> window with stride <c>s</c> over each channel separately and
/// summarises each window by one number, which shrinks the feature maps (cheat sheet: it "reduces the
/// number of parameters to learn and the amount of computation" and adds some spatial invariance).
/// </summary>
/// <remarks>
/// Output size per axis: <c>(n + 2p - f) / s + 1</c>, see <see cref="ConvolutionArithmetic"/>; the
/// channels are unchanged. No weights.
/// </remarks>
public abstract class Pooling : Layer
{
    private protected Pooling(int kernelSize, int? stride, int padding, bool ceilMode)
    {
        KernelSize = LayerArguments.Positive(kernelSize, nameof(kernelSize), "KernelSize");
        Stride = LayerArguments.Positive(stride ?? kernelSize, nameof(stride), "Stride");
        Padding = LayerArguments.PoolPadding(padding, kernelSize, nameof(padding));
        CeilMode = ceilMode;
    }

    /// <summary>Window height and width <c>f</c>.</summary>
    public int KernelSize { get; }

    /// <summary>Step <c>s</c> between windows.</summary>
    public int Stride { get; }

    /// <summary>Implicit padding <c>p</c> on each side.</summary>
    public int Padding { get; }

    /// <summary>Whether the output size rounds up, so a partial last window counts.</summary>
    public bool CeilMode { get; }

    private protected abstract string Operation { get; }

    /// <inheritdoc/>
    public override string Description =>
        $"{Operation} {KernelSize}×{KernelSize}, stride {Stride}" + (Padding != 0 ? $", padding {Padding}" : "") + (CeilMode ? ", ceil mode" : "");

    private protected override long[] LeafOutputShape(long[] input)
    {
        var (c, h, w) = ImageShape.RequireImage(input);
        long outH = ConvolutionArithmetic.OutputSize(h, KernelSize, Stride, Padding, 1, CeilMode);
        long outW = ConvolutionArithmetic.OutputSize(w, KernelSize, Stride, Padding, 1, CeilMode);
        if (outH < 1 || outW < 1)
        {
            long min = ConvolutionArithmetic.MinimumInput(KernelSize, Stride, Padding, 1, CeilMode);
            throw new LayerShapeException($"needs an input of at least {min}×{min}, got {h}×{w}");
        }
        return new[] { c, outH, outW };
    }
}
