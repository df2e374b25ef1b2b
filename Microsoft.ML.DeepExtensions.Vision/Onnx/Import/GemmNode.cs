using global::Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Import;

/// <summary>
/// ONNX <c>Gemm</c>: <c>Y = alpha · A' · B' + beta · C</c>, A' and B' optionally transposed (a fully
/// connected layer is <c>transB = 1</c> with B [out, in]); and <c>MatMul</c> (numpy matmul).
/// </summary>
internal sealed class GemmNode : ImportedNode
{
    private readonly float _alpha;
    private readonly float _beta;
    private readonly bool _transA;
    private readonly bool _transB;

    public GemmNode(NodeProto node)
        : base(node)
    {
        _alpha = Attributes.Float("alpha", 1f);
        _beta = Attributes.Float("beta", 1f);
        _transA = Attributes.Int("transA", 0) != 0;
        _transB = Attributes.Int("transB", 0) != 0;
    }

    public override Tensor[] Run(Tensor?[] inputs, bool training)
    {
        var a = Required(inputs, 0);
        var b = Required(inputs, 1);
        if (OpType == "MatMul")
        {
            if (a.shape[^1] != b.shape[b.dim() > 1 ? ^2 : ^1])
                throw Mismatch(a, b);
            return new[] { torch.matmul(a, b) };
        }
        RequireRank(a, 2, "A");
        RequireRank(b, 2, "B");
        if (_transA)
            a = a.t();
        if (_transB)
            b = b.t();
        if (a.shape[1] != b.shape[0])
            throw Mismatch(a, b);
        var c = inputs.Length > 2 ? inputs[2] : null;
        if (c is null || _beta == 0)
            return new[] { _alpha == 1 ? a.matmul(b) : a.matmul(b) * _alpha };
        if (c.dim() > 2 || (c.dim() >= 1 && c.shape[^1] != 1 && c.shape[^1] != b.shape[1]))
            throw new OnnxFormatException($"{Description}: C of shape [{string.Join(", ", c.shape)}] does not broadcast to [{a.shape[0]}, {b.shape[1]}].");
        return new[] { torch.addmm(c, a, b, _beta, _alpha) };
    }

    private OnnxFormatException Mismatch(Tensor a, Tensor b) =>
        new($"{Description}: cannot multiply [{string.Join(", ", a.shape)}] by [{string.Join(", ", b.shape)}] (after transA={(_transA ? 1 : 0)}, transB={(_transB ? 1 : 0)}): inner sizes differ.");
}
