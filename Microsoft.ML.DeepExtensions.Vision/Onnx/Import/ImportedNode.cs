using global::Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Import;

/// <summary>
/// One ONNX node compiled into TorchSharp operations: its attributes and compile-time constant inputs
/// (shapes, pads, scales) are read once when the graph is imported; <see cref="Run"/> computes its outputs
/// from the tensors of its other inputs (activations, trainable initializers).
/// </summary>
internal abstract class ImportedNode
{
    private protected ImportedNode(NodeProto node)
    {
        OpType = node.OpType;
        Name = node.Name;
        Inputs = node.Input.ToArray();
        Outputs = node.Output.ToArray();
        Description = Describe(node);
        Attributes = new OnnxNodeAttributes(node, Description);
    }

    /// <summary>The operator, e.g. <c>Conv</c>.</summary>
    public string OpType { get; }

    /// <summary>The node's name in the graph (may be empty).</summary>
    public string Name { get; }

    /// <summary>Names of the input values; an empty name is an omitted optional input.</summary>
    public string[] Inputs { get; }

    /// <summary>Names of the output values.</summary>
    public string[] Outputs { get; }

    /// <summary><c>Conv node 'conv1'</c>, for messages.</summary>
    public string Description { get; }

    private protected OnnxNodeAttributes Attributes { get; }

    /// <summary>Computes the outputs; <paramref name="inputs"/> holds one tensor per input name (null where omitted or compile-time).</summary>
    public abstract Tensor[] Run(Tensor?[] inputs, bool training);

    /// <summary>The input at <paramref name="index"/>, which the operator requires.</summary>
    private protected Tensor Required(Tensor?[] inputs, int index) =>
        index < inputs.Length && inputs[index] is { } t
            ? t
            : throw new OnnxFormatException($"{Description}: input {index} is missing.");

    internal static string Describe(NodeProto node) =>
        string.IsNullOrEmpty(node.Name) ? $"{node.OpType} node producing '{node.Output.FirstOrDefault()}'" : $"{node.OpType} node '{node.Name}'";

    /// <summary>Refuses an input whose rank the operator (as imported) does not handle.</summary>
    private protected void RequireRank(Tensor input, int rank, string what)
    {
        if (input.dim() != rank)
            throw new OnnxFormatException($"{Description}: {what} must have rank {rank}, got a tensor of shape [{string.Join(", ", input.shape)}].");
    }
}
