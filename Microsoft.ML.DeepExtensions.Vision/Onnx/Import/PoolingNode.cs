using global::Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Import;

/// <summary>
/// ONNX <c>MaxPool</c> and <c>AveragePool</c> (2-D, any pads, <c>ceil_mode</c>, <c>count_include_pad</c>).
/// Uneven pads, which PyTorch's pooling cannot express, are applied first: -∞ for max pooling; for
/// average pooling zeros, and without <c>count_include_pad</c> the window sums are divided by the count
/// of real pixels in each window.
/// </summary>
internal sealed class PoolingNode : ImportedNode
{
    private readonly SpatialWindow _window;
    private readonly bool _max;
    private readonly bool _ceilMode;
    private readonly bool _countIncludePad;

    public PoolingNode(NodeProto node)
        : base(node)
    {
        _max = OpType == "MaxPool";
        var kernel = Attributes.Ints("kernel_shape") ?? throw new OnnxFormatException($"{Description}: kernel_shape is missing.");
        _window = new SpatialWindow(Attributes, Description, kernel);
        _ceilMode = Attributes.Int("ceil_mode", 0) != 0;
        _countIncludePad = Attributes.Int("count_include_pad", 0) != 0;
        if (Outputs.Length > 1 && Outputs[1].Length > 0)
            throw new OnnxFormatException($"{Description}: the Indices output is not supported.");
        if (!_max && _window.Dilations.Any(d => d != 1))
            throw Attributes.Unsupported("dilations", $"[{string.Join(", ", _window.Dilations)}]", "[1, 1] for AveragePool");
    }

    public override Tensor[] Run(Tensor?[] inputs, bool training)
    {
        var x = Required(inputs, 0);
        RequireRank(x, 4, "the input");
        var pads = _window.Pads(x.shape[2], x.shape[3]);
        bool symmetric = SpatialWindow.IsSymmetric(pads) && pads[0] * 2 <= _window.Kernel[0] && pads[1] * 2 <= _window.Kernel[1];
        long[] padding = symmetric ? new[] { pads[0], pads[1] } : new long[] { 0, 0 };
        long[] torchPads = { pads[1], pads[3], pads[0], pads[2] };
        if (_max)
        {
            if (!symmetric)
                x = nn.functional.pad(x, torchPads, value: double.NegativeInfinity);
            return new[] { nn.functional.max_pool2d(x, _window.Kernel, _window.Strides, padding, _window.Dilations, _ceilMode) };
        }
        if (symmetric)
            return new[] { nn.functional.avg_pool2d(x, _window.Kernel, _window.Strides, padding, _ceilMode, _countIncludePad) };
        var padded = nn.functional.pad(x, torchPads);
        var sums = nn.functional.avg_pool2d(padded, _window.Kernel, _window.Strides, padding, _ceilMode, count_include_pad: true);
        if (_countIncludePad)
            return new[] { sums };
        var ones = nn.functional.pad(torch.ones(1, 1, x.shape[2], x.shape[3], dtype: x.dtype, device: x.device), torchPads);
        var counts = nn.functional.avg_pool2d(ones, _window.Kernel, _window.Strides, padding, _ceilMode, count_include_pad: true);
        return new[] { sums / counts };
    }
}
