using global::Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Import;

/// <summary>
/// ONNX <c>Softmax</c> and <c>LogSoftmax</c>: along <c>axis</c> from opset 13 (default -1); before opset 13
/// the input is seen as 2-D, <c>[d0 · … · d(axis-1), rest]</c>, and normalized over the second axis (default axis 1).
/// </summary>
internal sealed class SoftmaxNode : ImportedNode
{
    private readonly long _axis;
    private readonly bool _coerce2D;

    public SoftmaxNode(NodeProto node, OnnxConstants constants)
        : base(node)
    {
        _coerce2D = constants.Opset < 13;
        _axis = Attributes.Int("axis", _coerce2D ? 1 : -1);
    }

    public override Tensor[] Run(Tensor?[] inputs, bool training)
    {
        var x = Required(inputs, 0);
        long axis = _axis < 0 ? _axis + x.dim() : _axis;
        Func<Tensor, long, Tensor> softmax = OpType == "LogSoftmax" ? (t, d) => nn.functional.log_softmax(t, d) : (t, d) => nn.functional.softmax(t, d);
        if (!_coerce2D || axis == x.dim() - 1)
            return new[] { softmax(x, axis) };
        long outer = x.shape.Take((int)axis).Aggregate(1L, (a, b) => a * b);
        return new[] { softmax(x.reshape(outer, -1), 1).reshape(x.shape) };
    }
}
