using global::Onnx;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Import;

/// <summary>The ONNX operators the importer turns into TorchSharp operations, and which of their inputs it reads when importing.</summary>
internal static class OnnxOperators
{
    /// <summary>Inputs read once at import (shapes, pads, scales, ratios), by operator; they must be initializers or Constant nodes.</summary>
    private static readonly Dictionary<string, int[]> CompileTimeInputs = new()
    {
        ["Reshape"] = new[] { 1 },
        ["Resize"] = new[] { 1, 2, 3 },
        ["Upsample"] = new[] { 1 },
        ["Pad"] = new[] { 1, 2, 3 },
        ["Split"] = new[] { 1 },
        ["Dropout"] = new[] { 1, 2 },
        ["Clip"] = new[] { 1, 2 },
    };

    /// <summary>Every supported operator type (the <c>Constant</c> operator is folded at import).</summary>
    public static IReadOnlyList<string> Supported { get; } = new[]
    {
        "Conv", "BatchNormalization", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "Add", "Sub", "Mul", "Div", "Sum", "Concat", "Split",
        "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Gemm", "MatMul", "Flatten", "Reshape", "Resize", "Upsample",
        "Softmax", "LogSoftmax", "Dropout", "Pad", "Identity", "Constant",
    };

    /// <summary>Whether input <paramref name="index"/> of <paramref name="opType"/> is read at import rather than at run time.</summary>
    public static bool IsCompileTimeInput(string opType, int index) =>
        CompileTimeInputs.TryGetValue(opType, out var inputs) && inputs.Contains(index);

    /// <summary>Compiles <paramref name="node"/>; an operator outside <see cref="Supported"/> is refused by type and node name.</summary>
    public static ImportedNode Create(NodeProto node, OnnxConstants constants)
    {
        if (node.Domain is not ("" or "ai.onnx"))
            throw new OnnxFormatException($"Unsupported ONNX operator '{node.Domain}.{node.OpType}' ({ImportedNode.Describe(node)}): only the default ai.onnx domain is supported.");
        return node.OpType switch
        {
            "Conv" => new ConvolutionNode(node, constants),
            "BatchNormalization" => new BatchNormalizationNode(node, constants),
            "Relu" or "LeakyRelu" or "Sigmoid" or "Tanh" or "Clip" or "Identity" => new ActivationNode(node, constants),
            "Add" or "Sub" or "Mul" or "Div" or "Sum" => new ElementwiseNode(node),
            "Concat" or "Split" => new ConcatNode(node, constants),
            "MaxPool" or "AveragePool" => new PoolingNode(node),
            "GlobalAveragePool" or "GlobalMaxPool" => new GlobalPoolingNode(node),
            "Gemm" or "MatMul" => new GemmNode(node),
            "Flatten" or "Reshape" => new ReshapeNode(node, constants),
            "Resize" or "Upsample" => new ResizeNode(node, constants),
            "Softmax" or "LogSoftmax" => new SoftmaxNode(node, constants),
            "Dropout" => new DropoutNode(node, constants),
            "Pad" => new PadNode(node, constants),
            _ => throw new OnnxFormatException(
                $"Unsupported ONNX operator '{node.OpType}' ({ImportedNode.Describe(node)}). Supported operators: {string.Join(", ", Supported)}."),
        };
    }
}
