using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// Decodes one YOLOv3 head's raw output as Darknet's <c>yolo_layer.c</c> does (<c>forward_yolo_layer</c>,
/// <c>get_yolo_box</c>, <c>get_yolo_detections</c>), in whole-tensor operations without host round trips.
/// </summary>
/// <remarks>
/// <para>For the anchor a (size <c>p_w x p_h</c> pixels) at grid cell (row, col) of an <c>H x W</c> grid, with σ the logistic function:</para>
/// <code>
/// centre x = (col + s·σ(tx) - (s-1)/2) · netW / W     centre y = (row + s·σ(ty) - (s-1)/2) · netH / H
/// width    = p_w · exp(tw)                            height   = p_h · exp(th)
/// objectness = σ(to)                                  P(class c) = objectness · σ(t_c)
/// </code>
/// <para>
/// where s is <c>scale_x_y</c> (1 in YOLOv3, which gives Redmon and Farhadi's decode, arXiv:1804.02767). Boxes are
/// x0 y0 x1 y1 in network-input pixels. Predictions are ordered anchor-major: index <c>a·H·W + row·W + col</c>.
/// Darknet's thresholds (<see cref="YoloLayerPredictions.Candidates"/>, <see cref="YoloLayerPredictions.Thresholded"/>)
/// keep a prediction when its objectness is above the threshold and zero every class probability not above it.
/// </para>
/// </remarks>
public sealed class YoloLayerDecoder
{
    private readonly float[] _anchors;

    /// <param name="head">The head to decode, from <see cref="DarknetNetwork.YoloLayers"/>.</param>
    public YoloLayerDecoder(YoloHead head)
    {
        Head = head ?? throw new ArgumentNullException(nameof(head));
        _anchors = head.Anchors.SelectMany(a => new[] { a.Width, a.Height }).ToArray();
    }

    /// <summary>The head this decoder reads.</summary>
    public YoloHead Head { get; }

    /// <summary>
    /// The raw output <c>[N, A·(5 + C), H, W]</c> rearranged to <c>[N, A, H, W, 5 + C]</c> (a view where possible): per
    /// anchor and cell, tx, ty, tw, th, objectness and class logits, the form a YOLOv3 loss indexes.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor does not have the head's shape.</exception>
    public Tensor Arrange(Tensor raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var expected = Head.OutputShape(raw.dim() == 4 ? raw.shape[0] : -1);
        if (raw.dim() != 4 || raw.shape[1] != expected[1] || raw.shape[2] != expected[2] || raw.shape[3] != expected[3])
        {
            throw new ArgumentException(
                $"The [yolo] layer {Head.LayerIndex} outputs [N, {expected[1]}, {expected[2]}, {expected[3]}], got [{string.Join(", ", raw.shape)}].",
                nameof(raw));
        }

        return raw.view(raw.shape[0], Head.AnchorCount, Head.Classes + 5, Head.GridHeight, Head.GridWidth).permute(0, 1, 3, 4, 2);
    }

    /// <summary>Decodes a batch of the head's raw output <c>[N, A·(5 + C), H, W]</c>.</summary>
    /// <exception cref="ArgumentException">The tensor does not have the head's shape.</exception>
    public YoloLayerPredictions Decode(Tensor raw)
    {
        using var scope = torch.NewDisposeScope();
        var p = Arrange(raw);
        long n = raw.shape[0];
        int a = Head.AnchorCount, h = Head.GridHeight, w = Head.GridWidth;
        var device = raw.device;

        var xy = p[TensorIndex.Ellipsis, TensorIndex.Slice(0, 2)].sigmoid();
        float s = Head.ScaleXY;
        if (s != 1f)
            xy = xy.mul(s).sub(0.5f * (s - 1f));
        var cols = torch.arange(w, dtype: xy.dtype, device: device).view(1, 1, 1, w);
        var rows = torch.arange(h, dtype: xy.dtype, device: device).view(1, 1, h, 1);
        var centreX = xy[TensorIndex.Ellipsis, 0].add(cols).mul(Head.StrideX);
        var centreY = xy[TensorIndex.Ellipsis, 1].add(rows).mul(Head.StrideY);
        var anchors = torch.tensor(_anchors, new long[] { 1, a, 1, 1, 2 }, device: device).to(xy.dtype);
        var size = p[TensorIndex.Ellipsis, TensorIndex.Slice(2, 4)].exp().mul(anchors);
        var halfW = size[TensorIndex.Ellipsis, 0].mul(0.5f);
        var halfH = size[TensorIndex.Ellipsis, 1].mul(0.5f);
        var boxes = torch.stack(new[] { centreX.sub(halfW), centreY.sub(halfH), centreX.add(halfW), centreY.add(halfH) }, -1);

        var objectness = p[TensorIndex.Ellipsis, 4].sigmoid();
        var probabilities = p[TensorIndex.Ellipsis, TensorIndex.Slice(5, null)].sigmoid().mul(objectness.unsqueeze(-1));

        long count = (long)a * h * w;
        return new YoloLayerPredictions(
            boxes.reshape(n, count, 4).MoveToOuterDisposeScope(),
            objectness.reshape(n, count).MoveToOuterDisposeScope(),
            probabilities.reshape(n, count, Head.Classes).MoveToOuterDisposeScope());
    }
}
