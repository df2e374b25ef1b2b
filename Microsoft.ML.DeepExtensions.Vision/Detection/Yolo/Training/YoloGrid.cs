using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo.Training;

/// <summary>
/// One YOLO output as a grid of predictions: the raw <c>[N, A·(5 + C), H, W]</c> tensor (Darknet's channel layout:
/// per anchor tx, ty, tw, th, objectness, classes) seen as <c>[N, A, H, W, 5 + C]</c>, and its boxes decoded as
/// YOLOv3 does, differentiably: centre <c>((col, row) + s·σ(tx, ty) - (s - 1)/2) · stride</c>, size
/// <c>anchor · exp(tw, th)</c>.
/// </summary>
internal sealed class YoloGrid
{
    /// <summary>exp(t) is capped here (a box 55 times its anchor) so early, wild predictions stay finite.</summary>
    private const float MaxLogScale = 4f;

    /// <param name="raw">The layer's raw output, <c>[N, A·(5 + C), H, W]</c>.</param>
    /// <param name="anchors">The layer's anchors, <c>[A, 2]</c> width and height in network-input pixels.</param>
    /// <param name="imageSize">The network input's side in pixels.</param>
    /// <param name="scaleXY">Grid sensitivity <c>s</c>; 1 for YOLOv3.</param>
    public YoloGrid(Tensor raw, Tensor anchors, int imageSize, float scaleXY)
    {
        long n = raw.shape[0], a = anchors.shape[0], height = raw.shape[2], width = raw.shape[3];
        long channels = raw.shape[1] / a;
        if (channels * a != raw.shape[1] || channels < 5)
            throw new InvalidOperationException($"A YOLO output of {raw.shape[1]} channels does not hold {a} anchors of 5 + classes values each.");
        Predictions = raw.view(n, a, channels, height, width).permute(0, 1, 3, 4, 2);
        StrideX = (float)imageSize / width;
        StrideY = (float)imageSize / height;
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
