using global::Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Import;

/// <summary>
/// ONNX element-wise activations: <c>Relu</c>, <c>LeakyRelu</c> (<c>alpha</c>, default 0.01),
/// <c>Sigmoid</c>, <c>Tanh</c>, <c>Clip</c> (bounds from attributes or constant inputs; ReLU6) and
/// <c>Identity</c>.
/// </summary>
internal sealed class ActivationNode : ImportedNode
{
    private readonly Func<Tensor, Tensor> _function;

    public ActivationNode(NodeProto node, OnnxConstants constants)
        : base(node)
    {
        float alpha = Attributes.Float("alpha", 0.01f);
        _function = OpType switch
        {
            "Relu" => x => nn.functional.relu(x),
            "LeakyRelu" => x => nn.functional.leaky_relu(x, alpha),
            "Sigmoid" => torch.sigmoid,
            "Tanh" => torch.tanh,
            "Identity" => x => x,
            "Clip" => ClipFunction(constants),
            _ => throw new InvalidOperationException($"ActivationNode does not handle {OpType}."),
        };
    }

    private Func<Tensor, Tensor> ClipFunction(OnnxConstants constants)
    {
        float min = Attributes.Float("min", float.NegativeInfinity), max = Attributes.Float("max", float.PositiveInfinity);
        if (Inputs.Length > 1 && constants.Floats(Inputs[1], Description, "min") is { Length: 1 } low)
            min = low[0];
        if (Inputs.Length > 2 && constants.Floats(Inputs[2], Description, "max") is { Length: 1 } high)
            max = high[0];
        return x => x.clamp(min, max);
    }

    public override Tensor[] Run(Tensor?[] inputs, bool training) => new[] { _function(Required(inputs, 0)) };
}
