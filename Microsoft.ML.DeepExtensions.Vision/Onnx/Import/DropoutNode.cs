using global::Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Import;

/// <summary>
/// ONNX <c>Dropout</c>: the identity when scoring; when the imported module trains, zeroes each value with
/// probability <c>ratio</c> (attribute before opset 12, constant input after; default 0.5) and scales the rest by <c>1 / (1 - ratio)</c>.
/// </summary>
internal sealed class DropoutNode : ImportedNode
{
    private readonly double _ratio;

    public DropoutNode(NodeProto node, OnnxConstants constants)
        : base(node)
    {
        if (Outputs.Length > 1 && Outputs[1].Length > 0)
            throw new OnnxFormatException($"{Description}: the mask output is not supported.");
        _ratio = Attributes.Float("ratio", 0.5f);
        if (Inputs.Length > 1 && constants.Floats(Inputs[1], Description, "ratio") is { Length: 1 } ratio)
            _ratio = ratio[0];
        if (_ratio is < 0 or >= 1)
            throw new OnnxFormatException($"{Description}: ratio must be in [0, 1), got {_ratio}.");
    }

    public override Tensor[] Run(Tensor?[] inputs, bool training) =>
        new[] { training && _ratio > 0 ? nn.functional.dropout(Required(inputs, 0), _ratio, true) : Required(inputs, 0) };
}
