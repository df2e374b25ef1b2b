using Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Export;

/// <summary>
/// Writes the YOLOv3 decode of <see cref="YoloLayerDecoder"/> as ONNX nodes, turning the raw outputs of the
/// <c>[yolo]</c> layers into YOLOv5's candidate layout <c>[N, P, 5 + C]</c> (what <c>YoloV5OutputDecoder</c> reads),
/// or into the boxes and scores <see cref="YoloNmsOnnxWriter"/> selects from.
/// </summary>
/// <remarks>
/// <para>Per candidate (anchor a of size <c>p_w x p_h</c> at grid cell (row, col) of a head with strides
/// <c>s_x, s_y</c> and <c>scale_x_y</c> = k), the row holds, in network-input pixels:</para>
/// <code>
/// cx = (σ(tx)·k - (k-1)/2 + col)·s_x, w = p_w·exp(tw)   (y likewise)
/// row = [cx, cy, w, h, σ(to), σ(t_1) .. σ(t_C)]
/// </code>
/// <para>
/// The boxes are not clipped to the input: as in Darknet's do_nms_sort and the trained detector, NMS compares the boxes as
/// decoded and only the kept ones are clipped (by the reader, or by <see cref="YoloNmsOnnxWriter"/> with
/// <see cref="Clip"/>). Columns 5.. are the class sigmoids, not yet times the objectness: YOLOv5's convention, whose readers score a
/// candidate as objectness × class probability, Darknet's class probability. Candidates are ordered head by head,
/// anchor-major within a head (<c>a·H·W + row·W + col</c>), as <see cref="YoloLayerDecoder"/> orders them.
/// </para>
/// </remarks>
internal sealed class YoloDecodeOnnxWriter
{
    private readonly OnnxGraphBuilder _builder;

    public YoloDecodeOnnxWriter(OnnxGraphBuilder builder) => _builder = builder;

    /// <summary>Decodes the heads' raw outputs into corners and sigmoids (see <see cref="Decoded"/>).</summary>
    /// <param name="heads">The <c>[yolo]</c> layers, in the network's output order.</param>
    /// <param name="raw">Each head's raw input <c>[N, A·(5 + C), H, W]</c>, in <paramref name="heads"/> order.</param>
    public Decoded Decode(IReadOnlyList<YoloHead> heads, IReadOnlyList<string> raw)
    {
        int width = heads[0].Classes + 5;

        // [N, A·(5 + C), H, W] -> [N, A, 5 + C, H·W] -> [N, A, H·W, 5 + C] -> [N, A·H·W, 5 + C], then all heads in a row.
        var rows = heads.Select((head, h) =>
        {
            long cells = (long)head.GridHeight * head.GridWidth;
            string split = _builder.Node("Reshape", $"yolo{h}.split", new[] { raw[h], _builder.Ints($"yolo{h}.split.shape", -1, head.AnchorCount, width, cells) });
            string transposed = _builder.Node("Transpose", $"yolo{h}.transpose", new[] { split }, ("perm", new long[] { 0, 1, 3, 2 }));
            return _builder.Node("Reshape", $"yolo{h}.rows", new[] { transposed, _builder.Ints($"yolo{h}.rows.shape", -1, head.AnchorCount * cells, width) });
        }).ToArray();
        string p = rows.Length == 1 ? rows[0] : _builder.Node("Concat", "yolo.candidates", rows, ("axis", 1L));

        string xy = _builder.Node("Sigmoid", "yolo.xy", new[] { Columns(p, "yolo.txy", 0, 2) });
        if (heads.Any(h => h.ScaleXY != 1f))
        {
            xy = _builder.Node("Mul", "yolo.xy.scale", new[] { xy, Constant("yolo.scale_xy", heads, (head, a, row, col) => (head.ScaleXY, head.ScaleXY)) });
            xy = _builder.Node("Sub", "yolo.xy.shift", new[] { xy, Constant("yolo.shift_xy", heads, (head, a, row, col) => (0.5f * (head.ScaleXY - 1f), 0.5f * (head.ScaleXY - 1f))) });
        }
        string grid = Constant("yolo.grid", heads, (head, a, row, col) => (col, row));
        string strides = Constant("yolo.stride", heads, (head, a, row, col) => (head.StrideX, head.StrideY));
        string centre = _builder.Node("Mul", "yolo.centre", new[] { _builder.Node("Add", "yolo.cell", new[] { xy, grid }), strides });
        string anchors = Constant("yolo.anchors", heads, (head, a, row, col) => head.Anchors[a]);
        string half = _builder.Node("Mul", "yolo.half", new[]
        {
            _builder.Node("Mul", "yolo.size", new[] { _builder.Node("Exp", "yolo.exp", new[] { Columns(p, "yolo.twh", 2, 4) }), anchors }),
            _builder.Scalar("yolo.half", 0.5f),
        });
        string topLeft = _builder.Node("Sub", "yolo.x0y0", new[] { centre, half });
        string bottomRight = _builder.Node("Add", "yolo.x1y1", new[] { centre, half });
        string sigmoids = _builder.Node("Sigmoid", "yolo.scores", new[] { Columns(p, "yolo.logits", 4, width) });
        return new Decoded(centre, topLeft, bottomRight, sigmoids);
    }

    /// <summary>The candidates in YOLOv5's layout, <c>[N, P, 5 + C]</c>: centre and size of the box, then the sigmoids.</summary>
    public string Candidates(Decoded decoded)
    {
        string size = _builder.Node("Sub", "yolo.wh", new[] { decoded.BottomRight, decoded.TopLeft });
        return _builder.Node("Concat", "yolo.output", new[] { decoded.Centre, size, decoded.Sigmoids }, ("axis", 2L));
    }

    /// <summary>The decoded values, per candidate of P (heads in order, anchor-major within a head).</summary>
    /// <param name="Centre"><c>[N, P, 2]</c>: cx, cy of the box, input pixels.</param>
    /// <param name="TopLeft"><c>[N, P, 2]</c>: x0, y0 (not clipped).</param>
    /// <param name="BottomRight"><c>[N, P, 2]</c>: x1, y1 (not clipped).</param>
    /// <param name="Sigmoids"><c>[N, P, 1 + C]</c>: σ(to), then σ(t_c) per class.</param>
    public sealed record Decoded(string Centre, string TopLeft, string BottomRight, string Sigmoids);

    /// <summary>
    /// <c>clip(v, 0, S) = S - relu(S - relu(v))</c>, with Relu, Neg and Add: OpenCV 4.6's importer reads Clip only in its
    /// pre-opset-11 form (bounds as attributes). Exact outside [0, S] (also for an infinite v, an
    /// overflowing exp); inside it rounds by at most one unit in the last place of S (6e-5 pixels for S = 608).
    /// </summary>
    public string Clip(string value, string name, int side)
    {
        string s = _builder.Scalar($"{name}.side", side);
        string negated = _builder.Node("Neg", $"{name}.low.neg", new[] { _builder.Node("Relu", $"{name}.low", new[] { value }) });
        string gap = _builder.Node("Relu", $"{name}.high", new[] { _builder.Node("Add", $"{name}.gap", new[] { negated, s }) });
        return _builder.Node("Add", name, new[] { _builder.Node("Neg", $"{name}.high.neg", new[] { gap }), s });
    }

    /// <summary>Columns [<paramref name="start"/>, <paramref name="end"/>) of the last axis.</summary>
    private string Columns(string input, string name, long start, long end) =>
        _builder.Node("Slice", name, new[] { input, _builder.Ints($"{name}.starts", start), _builder.Ints($"{name}.ends", end), _builder.Ints($"{name}.axes", 2) });

    /// <summary>A <c>[1, P, 2]</c> constant with a pair of values per candidate, in the candidates' order.</summary>
    private string Constant(string name, IReadOnlyList<YoloHead> heads, Func<YoloHead, int, int, int, (float, float)> value)
    {
        var values = new List<float>();
        foreach (var head in heads)
        {
            for (int a = 0; a < head.AnchorCount; a++)
            {
                for (int row = 0; row < head.GridHeight; row++)
                {
                    for (int col = 0; col < head.GridWidth; col++)
                    {
                        var (first, second) = value(head, a, row, col);
                        values.Add(first);
                        values.Add(second);
                    }
                }
            }
        }
        using var constant = tensor(values.ToArray(), new long[] { 1, values.Count / 2, 2 });
        return _builder.Initializer(name, constant);
    }
}
