using global::Onnx;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Import;

/// <summary>
/// ONNX <c>Flatten</c> (<c>[d0 · … · d(axis-1), rest]</c>) and <c>Reshape</c> with a constant target shape
/// (0 keeps the input's size on that axis, -1 is inferred).
/// </summary>
internal sealed class ReshapeNode : ImportedNode
{
    private readonly long[]? _shape;
    private readonly long _axis;
    private readonly bool _allowZero;

    public ReshapeNode(NodeProto node, OnnxConstants constants)
        : base(node)
    {
        _axis = Attributes.Int("axis", 1);
        _allowZero = Attributes.Int("allowzero", 0) != 0;
        if (OpType == "Reshape")
        {
            _shape = Attributes.Ints("shape") ?? (Inputs.Length > 1 ? constants.Ints(Inputs[1], Description, "target shape") : null)
                ?? throw new OnnxFormatException($"{Description}: the target shape is missing.");
            if (_shape.Count(d => d == -1) > 1 || _shape.Any(d => d < -1))
                throw new OnnxFormatException($"{Description}: invalid target shape [{string.Join(", ", _shape)}].");
        }
    }

    public override Tensor[] Run(Tensor?[] inputs, bool training)
    {
        var x = Required(inputs, 0);
        if (_shape is null)
        {
            long axis = _axis < 0 ? _axis + x.dim() : _axis;
            long outer = x.shape.Take((int)axis).Aggregate(1L, (a, b) => a * b);
            return new[] { x.reshape(outer, -1) };
        }
        var shape = _shape.Select((d, i) => d == 0 && !_allowZero ? (i < x.dim() ? x.shape[i] : throw Mismatch(x)) : d).ToArray();
        long known = shape.Where(d => d != -1).Aggregate(1L, (a, b) => a * b);
        if (shape.Contains(-1) ? known == 0 || x.numel() % known != 0 : known != x.numel())
            throw Mismatch(x);
        return new[] { x.reshape(shape) };
    }

    private OnnxFormatException Mismatch(Tensor x) =>
        new($"{Description}: cannot reshape [{string.Join(", ", x.shape)}] ({x.numel()} values) to [{string.Join(", ", _shape!)}].");
}
