using global::Onnx;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Import;

/// <summary>ONNX <c>Concat</c> (inputs joined along <c>axis</c>) and <c>Split</c> (one input cut along <c>axis</c>, sizes from <c>split</c> or equal parts).</summary>
internal sealed class ConcatNode : ImportedNode
{
    private readonly long _axis;
    private readonly long[]? _split;

    public ConcatNode(NodeProto node, OnnxConstants constants)
        : base(node)
    {
        _axis = Attributes.Int("axis", OpType == "Concat" ? long.MinValue : 0);
        if (_axis == long.MinValue)
            throw new OnnxFormatException($"{Description}: the axis attribute is required.");
        if (OpType == "Split")
            _split = Attributes.Ints("split") ?? (Inputs.Length > 1 ? constants.Ints(Inputs[1], Description, "split sizes") : null);
    }

    public override Tensor[] Run(Tensor?[] inputs, bool training)
    {
        if (OpType == "Concat")
        {
            var parts = inputs.Select((t, i) => Required(inputs, i)).ToArray();
            long axis = _axis < 0 ? _axis + parts[0].dim() : _axis;
            foreach (var part in parts)
            {
                if (part.dim() != parts[0].dim() || Enumerable.Range(0, (int)part.dim()).Any(d => d != axis && part.shape[d] != parts[0].shape[d]))
                    throw new OnnxFormatException($"{Description}: cannot concatenate {string.Join(" and ", parts.Select(p => $"[{string.Join(", ", p.shape)}]"))} along axis {_axis}.");
            }
            return new[] { cat(parts, axis) };
        }
        var x = Required(inputs, 0);
        long dim = _axis < 0 ? _axis + x.dim() : _axis;
        var sizes = _split ?? Enumerable.Repeat(x.shape[dim] / Outputs.Length, Outputs.Length).ToArray();
        if (sizes.Length != Outputs.Length || sizes.Sum() != x.shape[dim])
            throw new OnnxFormatException($"{Description}: cannot split axis {_axis} of size {x.shape[dim]} into [{string.Join(", ", sizes)}] for {Outputs.Length} outputs.");
        return x.split(sizes, dim);
    }
}
