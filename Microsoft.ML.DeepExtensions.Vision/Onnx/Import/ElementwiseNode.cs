using global::Onnx;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Import;

/// <summary>
/// ONNX <c>Add</c>, <c>Sub</c>, <c>Mul</c>, <c>Div</c> with numpy broadcasting (opset 7 and later), and
/// <c>Sum</c> of any number of inputs. Shapes that do not broadcast are refused naming the node.
/// </summary>
internal sealed class ElementwiseNode : ImportedNode
{
    public ElementwiseNode(NodeProto node)
        : base(node)
    {
        if (Attributes.Has("axis") || Attributes.Int("broadcast", 0) != 0)
            throw new OnnxFormatException($"{Description}: the legacy broadcast/axis attributes (operator sets before 7) are not supported.");
    }

    public override Tensor[] Run(Tensor?[] inputs, bool training)
    {
        var operands = inputs.Select((t, i) => Required(inputs, i)).ToArray();
        if (operands.Length != 2 && OpType != "Sum")
            throw new OnnxFormatException($"{Description}: needs 2 inputs, got {operands.Length}.");
        CheckBroadcast(operands);
        return new[]
        {
            OpType switch
            {
                "Add" => operands[0] + operands[1],
                "Sub" => operands[0] - operands[1],
                "Mul" => operands[0] * operands[1],
                "Div" => operands[0] / operands[1],
                _ => operands.Skip(1).Aggregate(operands[0], (sum, t) => sum + t),
            },
        };
    }

    private void CheckBroadcast(Tensor[] operands)
    {
        int rank = operands.Max(t => (int)t.dim());
        for (int axis = 1; axis <= rank; axis++)
        {
            var sizes = operands.Select(t => axis <= t.dim() ? t.shape[t.dim() - axis] : 1).Where(s => s != 1).Distinct().ToArray();
            if (sizes.Length > 1)
                throw new OnnxFormatException($"{Description}: shapes {string.Join(" and ", operands.Select(t => $"[{string.Join(", ", t.shape)}]"))} do not broadcast.");
        }
    }
}
