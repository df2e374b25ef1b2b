using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>Max pooling: each window is replaced by its largest value.</summary>
/// <remarks>Formula: <c>out[c, y, x] = max over 0 ≤ i, j &lt; f of in[c, s·y + i - p, s·x + j - p]</c> (padding counts as -∞).</remarks>
public sealed class MaxPooling : Pooling
{
    /// <param name="kernelSize">Window height and width <c>f</c>.</param>
    /// <param name="stride">Step between windows. Defaults to the kernel size (windows do not overlap).</param>
    /// <param name="padding">Implicit padding on each side, at most half the kernel size. Defaults to 0.</param>
    /// <param name="ceilMode">Round the output size up, so a partial window at the end counts. Defaults to false.</param>
    public MaxPooling(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false)
        : base(kernelSize, stride, padding, ceilMode)
    {
    }

    private protected override string Operation => "max pool";

    internal override nn.Module<Tensor, Tensor> CreateModule(long[] input, Device? device) =>
        nn.MaxPool2d(KernelSize, Stride, Padding, ceil_mode: CeilMode);
}
