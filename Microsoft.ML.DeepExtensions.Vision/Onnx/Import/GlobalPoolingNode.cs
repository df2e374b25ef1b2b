using global::Onnx;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Import;

/// <summary>ONNX <c>GlobalAveragePool</c> and <c>GlobalMaxPool</c>: [N, C, H, W] → [N, C, 1, 1].</summary>
internal sealed class GlobalPoolingNode : ImportedNode
{
    public GlobalPoolingNode(NodeProto node)
        : base(node)
    {
    }

    public override Tensor[] Run(Tensor?[] inputs, bool training)
    {
        var x = Required(inputs, 0);
        if (x.dim() < 3)
            throw new OnnxFormatException($"{Description}: needs an input [N, C, spatial...], got shape [{string.Join(", ", x.shape)}].");
        var dims = Enumerable.Range(2, (int)x.dim() - 2).Select(d => (long)d).ToArray();
        return new[] { OpType == "GlobalMaxPool" ? x.amax(dims, keepdim: true) : x.mean(dims, keepdim: true) };
    }
}
