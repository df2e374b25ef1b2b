using global::Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Import;

/// <summary>
/// ONNX <c>Resize</c> and <c>Upsample</c> of the spatial axes of [N, C, H, W], with constant scales or
/// sizes, in the modes PyTorch has: nearest with <c>asymmetric</c> coordinates and <c>floor</c> rounding
/// (PyTorch's <c>nearest</c>, and every opset-7 to 10 nearest resize), and bilinear with
/// <c>half_pixel</c> / <c>pytorch_half_pixel</c> (<c>align_corners=False</c>) or <c>align_corners</c>.
/// </summary>
internal sealed class ResizeNode : ImportedNode
{
    private readonly float[]? _scales;
    private readonly long[]? _sizes;
    private readonly bool _linear;
    private readonly bool _alignCorners;

    public ResizeNode(NodeProto node, OnnxConstants constants)
        : base(node)
    {
        var mode = Attributes.String("mode", "nearest");
        if (mode is not ("nearest" or "linear" or "bilinear"))
            throw Attributes.Unsupported("mode", mode, "nearest, linear");
        _linear = mode != "nearest";
        bool legacy = OpType == "Upsample" || constants.Opset < 11;
        if (OpType == "Upsample")
            _scales = Attributes.Floats("scales") ?? (Inputs.Length > 1 ? constants.Floats(Inputs[1], Description, "scales") : null);
        else if (legacy)
            _scales = Inputs.Length > 1 ? constants.Floats(Inputs[1], Description, "scales") : null;
        else
        {
            var scales = Inputs.Length > 2 ? constants.Floats(Inputs[2], Description, "scales") : null;
            _scales = scales is { Length: > 0 } ? scales : null;
            _sizes = Inputs.Length > 3 ? constants.Ints(Inputs[3], Description, "sizes") : null;
        }
        if (_scales is null && _sizes is null)
            throw new OnnxFormatException($"{Description}: neither scales nor sizes are given.");
        if (_scales is not null && (_scales.Length != 4 || _scales[0] != 1 || _scales[1] != 1) || _sizes is not null && _sizes.Length != 4)
            throw new OnnxFormatException($"{Description}: only resizing the height and width of [N, C, H, W] is supported, got scales [{string.Join(", ", _scales ?? Array.Empty<float>())}] sizes [{string.Join(", ", _sizes ?? Array.Empty<long>())}].");

        // Upsample and the opset-10 Resize always map coordinates asymmetrically (x_in = x_out / scale).
        var coordinates = legacy ? "asymmetric" : Attributes.String("coordinate_transformation_mode", "half_pixel");
        if (_linear)
        {
            if (coordinates is not ("half_pixel" or "pytorch_half_pixel" or "align_corners"))
                throw Attributes.Unsupported("coordinate_transformation_mode", coordinates, "half_pixel, pytorch_half_pixel or align_corners for linear resizing");
            _alignCorners = coordinates == "align_corners";
        }
        else
        {
            var rounding = legacy ? "floor" : Attributes.String("nearest_mode", "round_prefer_floor");
            if (coordinates != "asymmetric" || rounding != "floor")
                throw Attributes.Unsupported("coordinate_transformation_mode / nearest_mode", $"{coordinates} / {rounding}", "asymmetric / floor for nearest resizing (PyTorch's nearest)");
        }
    }

    public override Tensor[] Run(Tensor?[] inputs, bool training)
    {
        var x = Required(inputs, 0);
        RequireRank(x, 4, "the input");
        var mode = _linear ? InterpolationMode.Bilinear : InterpolationMode.Nearest;
        bool? alignCorners = _linear ? _alignCorners : null;
        if (_sizes is not null)
        {
            if (_sizes[0] != x.shape[0] || _sizes[1] != x.shape[1])
                throw new OnnxFormatException($"{Description}: sizes [{string.Join(", ", _sizes)}] change the batch or channels of [{string.Join(", ", x.shape)}].");
            return new[] { nn.functional.interpolate(x, new[] { _sizes[2], _sizes[3] }, mode: mode, align_corners: alignCorners) };
        }
        return new[] { nn.functional.interpolate(x, scale_factor: new double[] { _scales![2], _scales[3] }, mode: mode, align_corners: alignCorners) };
    }
}
