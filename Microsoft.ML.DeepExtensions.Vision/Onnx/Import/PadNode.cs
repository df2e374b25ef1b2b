using global::Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Import;

/// <summary>
/// ONNX <c>Pad</c>: <c>pads = [x1_begin, x2_begin, …, x1_end, x2_end, …]</c> (attribute before opset 11,
/// constant input after), mode <c>constant</c> (with its value), <c>reflect</c> or <c>edge</c>.
/// </summary>
internal sealed class PadNode : ImportedNode
{
    private readonly long[] _pads;
    private readonly PaddingModes _mode;
    private readonly double _value;

    public PadNode(NodeProto node, OnnxConstants constants)
        : base(node)
    {
        _pads = Attributes.Ints("pads") ?? (Inputs.Length > 1 ? constants.Ints(Inputs[1], Description, "pads") : null)
            ?? throw new OnnxFormatException($"{Description}: pads are missing.");
        if (Inputs.Length > 3 && Inputs[3].Length > 0)
            throw new OnnxFormatException($"{Description}: the axes input is not supported.");
        _value = Attributes.Float("value", 0f);
        if (Inputs.Length > 2 && constants.Floats(Inputs[2], Description, "constant value") is { Length: 1 } value)
            _value = value[0];
        var mode = Attributes.String("mode", "constant");
        _mode = mode switch
        {
            "constant" => PaddingModes.Constant,
            "reflect" => PaddingModes.Reflect,
            "edge" => PaddingModes.Replicate,
            _ => throw Attributes.Unsupported("mode", mode, "constant, reflect, edge"),
        };
        if (_pads.Length % 2 != 0)
            throw new OnnxFormatException($"{Description}: pads must have two values per axis, got {_pads.Length}.");
    }

    public override Tensor[] Run(Tensor?[] inputs, bool training)
    {
        var x = Required(inputs, 0);
        int rank = _pads.Length / 2;
        if (rank != x.dim())
            throw new OnnxFormatException($"{Description}: {_pads.Length} pads for an input of rank {x.dim()} (shape [{string.Join(", ", x.shape)}]).");
        int first = Enumerable.Range(0, rank).FirstOrDefault(a => _pads[a] != 0 || _pads[a + rank] != 0, rank);
        // PyTorch lists (begin, end) pairs from the last axis backwards, down to the first padded axis.
        var torchPads = new List<long>();
        for (int axis = rank - 1; axis >= first; axis--)
        {
            torchPads.Add(_pads[axis]);
            torchPads.Add(_pads[axis + rank]);
        }
        if (torchPads.Count == 0)
            return new[] { x };
        if (_mode != PaddingModes.Constant && first < 2)
            throw new OnnxFormatException($"{Description}: {_mode} padding of the batch or channel axis is not supported.");
        return new[] { nn.functional.pad(x, torchPads.ToArray(), _mode, _value) };
    }
}
