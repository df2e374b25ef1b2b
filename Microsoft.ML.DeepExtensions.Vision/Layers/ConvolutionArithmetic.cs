namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>
/// The one output-size formula of sliding-window layers (convolution, max and average pooling),
/// shared by every layer's shape inference so the checks and the modules agree.
/// </summary>
/// <remarks>
/// Formula (cheat sheet): <c>out = (n + 2p - f) / s + 1</c>, rounded down, where <c>n</c> is the input
/// size, <c>p</c> the padding on each side, <c>f</c> the filter size and <c>s</c> the stride. With a
/// dilation <c>d</c> the filter spans <c>f_eff = d·(f - 1) + 1</c> pixels and replaces <c>f</c>. In
/// ceil mode (pooling only) the division rounds up, except that a last window starting in the right
/// padding is dropped: PyTorch's rule, which GoogLeNet's pooling relies on.
/// </remarks>
public static class ConvolutionArithmetic
{
    /// <summary>The span of a dilated filter: <c>d·(f - 1) + 1</c>.</summary>
    public static long EffectiveFilterSize(long filter, long dilation = 1) => dilation * (filter - 1) + 1;

    /// <summary>
    /// The output size along one axis: <c>(n + 2p - f_eff) / s + 1</c>, rounded down (or up in ceil
    /// mode). Zero or less means the input is too small for the window.
    /// </summary>
    /// <param name="input">Input size <c>n</c>.</param>
    /// <param name="filter">Filter (kernel) size <c>f</c>.</param>
    /// <param name="stride">Stride <c>s</c>. Defaults to 1.</param>
    /// <param name="padding">Padding on each side <c>p</c>. Defaults to 0.</param>
    /// <param name="dilation">Dilation <c>d</c>. Defaults to 1.</param>
    /// <param name="ceilMode">Round up instead of down. Defaults to false.</param>
    public static long OutputSize(long input, long filter, long stride = 1, long padding = 0, long dilation = 1, bool ceilMode = false)
    {
        long span = input + 2 * padding - EffectiveFilterSize(filter, dilation);
        long output = (ceilMode ? FloorDivide(span + stride - 1, stride) : FloorDivide(span, stride)) + 1;
        if (ceilMode && output > 0 && (output - 1) * stride >= input + padding)
            output--;
        return output;
    }

    /// <summary>The smallest input size for which <see cref="OutputSize"/> is at least 1.</summary>
    public static long MinimumInput(long filter, long stride = 1, long padding = 0, long dilation = 1, bool ceilMode = false)
    {
        long minimum = Math.Max(1, EffectiveFilterSize(filter, dilation) - 2 * padding - (ceilMode ? stride - 1 : 0));
        // The closed form above is checked against the formula itself, so the two cannot drift apart.
        while (OutputSize(minimum, filter, stride, padding, dilation, ceilMode) < 1)
            minimum++;
        return minimum;
    }

    /// <summary>
    /// The padding before and after an axis that makes the output <c>ceil(n / s)</c> long ("same"
    /// padding, as TensorFlow and Keras define it): <c>max((out - 1)·s + f_eff - n, 0)</c> in all, the
    /// odd pixel after.
    /// </summary>
    public static (long Before, long After) SamePadding(long input, long filter, long stride = 1, long dilation = 1)
    {
        long output = (input + stride - 1) / stride;
        long total = Math.Max((output - 1) * stride + EffectiveFilterSize(filter, dilation) - input, 0);
        return (total / 2, total - total / 2);
    }

    private static long FloorDivide(long a, long b) => (long)Math.Floor(a / (double)b);
}
