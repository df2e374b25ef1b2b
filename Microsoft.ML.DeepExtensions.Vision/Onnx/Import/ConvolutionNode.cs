using global::Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Import;

/// <summary>ONNX <c>Conv</c> (2-D, grouped, dilated, any pads): <c>Y = conv(X, W) + B</c>, W [M, C/group, kH, kW].</summary>
internal sealed class ConvolutionNode : ImportedNode
{
    private readonly SpatialWindow _window;
    private readonly long _groups;

    public ConvolutionNode(NodeProto node, OnnxConstants constants)
        : base(node)
    {
        var weightShape = constants.Shape(Inputs.ElementAtOrDefault(1) ?? "");
        var kernel = Attributes.Ints("kernel_shape") ?? weightShape?.Skip(2).ToArray()
            ?? throw new OnnxFormatException($"{Description}: kernel_shape is missing and the weight is not an initializer.");
        _window = new SpatialWindow(Attributes, Description, kernel);
        _groups = Attributes.Int("group", 1);
        if (weightShape is not null && (weightShape.Length != 4 || weightShape[2] != kernel[0] || weightShape[3] != kernel[1]))
            throw new OnnxFormatException($"{Description}: weight '{Inputs[1]}' has shape [{string.Join(", ", weightShape)}], expected [M, C/group, {kernel[0]}, {kernel[1]}].");
        var biasShape = Inputs.Length > 2 ? constants.Shape(Inputs[2]) : null;
        if (weightShape is not null && biasShape is not null && (biasShape.Length != 1 || biasShape[0] != weightShape[0]))
            throw new OnnxFormatException($"{Description}: bias '{Inputs[2]}' has shape [{string.Join(", ", biasShape)}], expected [{weightShape[0]}].");
    }

    public override Tensor[] Run(Tensor?[] inputs, bool training)
    {
        var x = Required(inputs, 0);
        var weight = Required(inputs, 1);
        RequireRank(x, 4, "the input");
        if (x.shape[1] != weight.shape[1] * _groups)
            throw new OnnxFormatException($"{Description}: the input has {x.shape[1]} channels but weight '{Inputs[1]}' of shape [{string.Join(", ", weight.shape)}] with group {_groups} expects {weight.shape[1] * _groups}.");
        var bias = inputs.Length > 2 ? inputs[2] : null;
        var pads = _window.Pads(x.shape[2], x.shape[3]);
        long[] padding = { 0, 0 };
        if (SpatialWindow.IsSymmetric(pads))
            padding = new[] { pads[0], pads[1] };
        else
            x = nn.functional.pad(x, new[] { pads[1], pads[3], pads[0], pads[2] });
        return new[] { nn.functional.conv2d(x, weight, bias, strides: _window.Strides, padding: padding, dilation: _window.Dilations, groups: _groups) };
    }
}
