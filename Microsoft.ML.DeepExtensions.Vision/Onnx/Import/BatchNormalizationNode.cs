using global::Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Import;

/// <summary>
/// ONNX <c>BatchNormalization</c>: <c>Y = (X - mean) / sqrt(var + epsilon) · scale + B</c> per channel.
/// In training mode it normalizes with the batch statistics and updates the running ones with PyTorch's default
/// momentum, 0.1 of the batch's, whatever the file's <c>momentum</c> attribute says.
/// </summary>
/// <remarks>
/// The attribute describes how the exporting framework trained (ONNX Runtime ignores it): PyTorch writes 0.9, its own
/// 0.1 (ONNX's momentum weighs the running value, PyTorch's the batch), but CNTK writes its normalization time constant,
/// 0.988 in the ResNet18 package's ResNet18.onnx. Fine-tuning with 1 - 0.988 = 0.012 left the running statistics
/// so far behind the weights that the fine-tuned network scored 0.80 on test images it classified at 0.98 in training
/// (Fashion-MNIST, 3 epochs); PyTorch's convention, which every TorchSharp module follows, keeps them close.
/// </remarks>
internal sealed class BatchNormalizationNode : ImportedNode
{
    private readonly double _epsilon;

    /// <summary>PyTorch's default weight of the batch in the running statistics.</summary>
    internal const double PyTorchMomentum = 0.1;

    public BatchNormalizationNode(NodeProto node, OnnxConstants constants)
        : base(node)
    {
        if (Inputs.Length < 5)
            throw new OnnxFormatException($"{Description}: needs 5 inputs (X, scale, B, mean, var), got {Inputs.Length}.");
        if (Outputs.Length > 1 && Outputs.Skip(1).Any(o => o.Length > 0))
            throw new OnnxFormatException($"{Description}: the training outputs (running mean and variance) are not supported; export the model for inference.");
        if (Attributes.Int("spatial", 1) != 1)
            throw Attributes.Unsupported("spatial", "0", "1");
        _epsilon = Attributes.Float("epsilon", 1e-5f);
        var shapes = Inputs.Skip(1).Take(4).Select(constants.Shape).ToArray();
        if (shapes.All(s => s is not null) && shapes.Any(s => s!.Length != 1 || s[0] != shapes[0]![0]))
            throw new OnnxFormatException($"{Description}: scale, B, mean and var must all have shape [C], got {string.Join(", ", shapes.Select(s => $"[{string.Join(", ", s!)}]"))}.");
    }

    public override Tensor[] Run(Tensor?[] inputs, bool training)
    {
        var x = Required(inputs, 0);
        var scale = Required(inputs, 1);
        if (x.dim() < 2 || x.shape[1] != scale.shape[0])
            throw new OnnxFormatException($"{Description}: the input of shape [{string.Join(", ", x.shape)}] does not have the {scale.shape[0]} channels of '{Inputs[1]}' on axis 1.");
        return new[]
        {
            nn.functional.batch_norm(x, Required(inputs, 3), Required(inputs, 4), scale, Required(inputs, 2), training, PyTorchMomentum, _epsilon),
        };
    }
}
