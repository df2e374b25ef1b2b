using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>Average pooling: each window is replaced by the mean of its values.</summary>
/// <remarks>
/// Formula: <c>out[c, y, x] = (1 / f²) · Σ over 0 ≤ i, j &lt; f of in[c, s·y + i - p, s·x + j - p]</c>,
/// padding counting as zeros in the sum and in <c>f²</c> unless <see cref="CountIncludePadding"/> is false.
/// </remarks>
public sealed class AveragePooling : Pooling
{
    /// <param name="kernelSize">Window height and width <c>f</c>.</param>
    /// <param name="stride">Step between windows. Defaults to the kernel size (windows do not overlap).</param>
    /// <param name="padding">Implicit zero padding on each side, at most half the kernel size. Defaults to 0.</param>
    /// <param name="ceilMode">Round the output size up, so a partial window at the end counts. Defaults to false.</param>
    /// <param name="countIncludePadding">Whether padded zeros count in the divisor. Defaults to true (PyTorch's default).</param>
    public AveragePooling(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePadding = true)
        : base(kernelSize, stride, padding, ceilMode) => CountIncludePadding = countIncludePadding;

    /// <summary>Whether padded zeros count in the divisor.</summary>
    public bool CountIncludePadding { get; }

    private protected override string Operation => "average pool";

    internal override nn.Module<Tensor, Tensor> CreateModule(long[] input, Device? device) =>
        nn.AvgPool2d(KernelSize, Stride, Padding, ceil_mode: CeilMode, count_include_pad: CountIncludePadding);
}
