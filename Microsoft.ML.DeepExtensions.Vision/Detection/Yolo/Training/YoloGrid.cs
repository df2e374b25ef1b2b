using Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo.Training;

/// <summary>
/// One YOLO output as the loss sees it: the raw <c>[N, A·(5 + C), H, W]</c> tensor arranged by
/// <see cref="YoloLayerDecoder.Arrange"/> as <c>[N, A, H, W, 5 + C]</c>, the centres' offsets within their cells, and
/// the boxes decoded as <see cref="YoloLayerDecoder"/> does (centre <c>((col, row) + s·σ(tx, ty) - (s - 1)/2) · stride</c>,
/// size <c>anchor · exp(tw, th)</c>) but kept differentiable, unflattened, and with exp's argument capped: scoring
/// follows Darknet exactly, while training must survive the wild predictions of its first steps.
/// </summary>
internal sealed class YoloGrid
{
    /// <summary>exp(t) is capped here (a box 55 times its anchor) so early, wild predictions stay finite.</summary>
    private const float MaxLogScale = 4f;

    /// <param name="raw">The layer's raw output, <c>[N, A·(5 + C), H, W]</c>.</param>
    /// <param name="head">The layer.</param>
    /// <param name="anchors">The layer's anchors, <c>[A, 2]</c> width and height in network-input pixels, on the output's device.</param>
    public YoloGrid(Tensor raw, YoloLayerDecoder head, Tensor anchors)
    {
        long a = anchors.shape[0], height = raw.shape[2], width = raw.shape[3];
        Predictions = head.Arrange(raw);
        StrideX = head.Head.StrideX;
        StrideY = head.Head.StrideY;
        float scaleXY = head.Head.ScaleXY;
        Anchors = anchors;

        var columns = torch.arange(width, dtype: ScalarType.Float32, device: raw.device).view(1, 1, 1, width);
        var rows = torch.arange(height, dtype: ScalarType.Float32, device: raw.device).view(1, 1, height, 1);
        var offsetX = Predictions[TensorIndex.Ellipsis, 0].sigmoid();
        var offsetY = Predictions[TensorIndex.Ellipsis, 1].sigmoid();
        if (scaleXY != 1f)
        {
            offsetX = offsetX * scaleXY - (scaleXY - 1) / 2;
            offsetY = offsetY * scaleXY - (scaleXY - 1) / 2;
        }
        CenterOffsets = (offsetX, offsetY);
        var centerX = (columns + offsetX) * StrideX;
        var centerY = (rows + offsetY) * StrideY;
        var boxWidth = Predictions[TensorIndex.Ellipsis, 2].clamp_max(MaxLogScale).exp() * anchors[.., 0].view(1, a, 1, 1);
        var boxHeight = Predictions[TensorIndex.Ellipsis, 3].clamp_max(MaxLogScale).exp() * anchors[.., 1].view(1, a, 1, 1);
        Boxes = torch.stack(new[] { centerX - boxWidth / 2, centerY - boxHeight / 2, centerX + boxWidth / 2, centerY + boxHeight / 2 }, -1);
    }

    /// <summary><c>[N, A, H, W, 5 + C]</c>: tx, ty, tw, th, objectness logit, class logits.</summary>
    public Tensor Predictions { get; }

    /// <summary><c>[N, A, H, W, 4]</c> x0 y0 x1 y1 in network-input pixels.</summary>
    public Tensor Boxes { get; }

    /// <summary>The centres' offsets within their cells, <c>s·σ(t) - (s - 1)/2</c>, each <c>[N, A, H, W]</c>.</summary>
    public (Tensor X, Tensor Y) CenterOffsets { get; }

    /// <summary>The layer's anchors, <c>[A, 2]</c>.</summary>
    public Tensor Anchors { get; }

    public float StrideX { get; }

    public float StrideY { get; }

    public long Width => Predictions.shape[3];

    public long Height => Predictions.shape[2];
}
