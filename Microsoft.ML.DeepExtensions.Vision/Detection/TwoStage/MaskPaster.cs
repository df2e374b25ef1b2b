using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// Puts Mask R-CNN's M × M mask probabilities back into the image (torchvision's <c>paste_masks_in_image</c>): each
/// mask is padded with one cell of zeros and its box grown by the same factor <c>(M + 2) / M</c> about its center,
/// the box's corners truncated to integers <c>(x0, y0, x1, y1)</c>, the padded mask resized bilinearly (no corner
/// alignment) to <c>(y1 − y0 + 1) × (x1 − x0 + 1)</c> pixels (at least 1 × 1) and written at <c>(x0, y0)</c>, cut
/// to the image; the rest of the image is 0. A pixel belongs to the object where its probability is above 0.5
/// (<see cref="Threshold"/>).
/// </summary>
public static class MaskPaster
{
    /// <summary>The probability above which a pixel is the object's: 0.5, as torchvision's references and Detectron.</summary>
    public const float Threshold = 0.5f;

    private const int Padding = 1;

    /// <summary>The masks pasted into a whole image.</summary>
    /// <param name="probabilities"><c>[K, M, M]</c> mask probabilities (one per detection, of its class).</param>
    /// <param name="boxes"><c>[K, 4]</c> xyxy boxes of the detections in the image's pixels.</param>
    /// <param name="imageSize">The image's (height, width).</param>
    /// <returns><c>[K, H, W]</c> probabilities.</returns>
    public static Tensor Paste(Tensor probabilities, Tensor boxes, (int Height, int Width) imageSize)
    {
        Check(probabilities, boxes, imageSize);
        var windows = Enumerable.Repeat((0, 0, imageSize.Width, imageSize.Height), (int)boxes.shape[0]).ToArray();
        var pasted = PasteWindows(probabilities, boxes, imageSize, windows);
        return pasted.Length == 0
            ? torch.zeros(new long[] { 0, imageSize.Height, imageSize.Width }, probabilities.dtype, probabilities.device)
            : torch.stack(pasted);
    }

    /// <summary>
    /// Each detection's mask over its box rounded out to whole pixels (columns <c>floor(x0)</c> to <c>ceil(x1) − 1</c>,
    /// rows <c>floor(y0)</c> to <c>ceil(y1) − 1</c>, the rectangle of the <c>PredictedMasks</c> column), thresholded at
    /// <see cref="Threshold"/>; pixels outside the image are 0.
    /// </summary>
    /// <param name="probabilities"><c>[K, M, M]</c> mask probabilities.</param>
    /// <param name="boxes"><c>[K, 4]</c> xyxy boxes in the image's pixels.</param>
    /// <param name="imageSize">The image's (height, width).</param>
    public static InstanceMask[] ToInstanceMasks(Tensor probabilities, Tensor boxes, (int Height, int Width) imageSize)
    {
        Check(probabilities, boxes, imageSize);
        if (boxes.shape[0] == 0)
            return Array.Empty<InstanceMask>();
        var corners = boxes.to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        var windows = new (int Left, int Top, int Width, int Height)[boxes.shape[0]];
        for (int i = 0; i < windows.Length; i++)
        {
            int left = (int)MathF.Floor(corners[4 * i]), top = (int)MathF.Floor(corners[4 * i + 1]);
            windows[i] = (left, top, Math.Max(0, (int)MathF.Ceiling(corners[4 * i + 2]) - left), Math.Max(0, (int)MathF.Ceiling(corners[4 * i + 3]) - top));
        }
        using var scope = torch.NewDisposeScope();
        var pasted = PasteWindows(probabilities, boxes, imageSize, windows);
        var masks = new InstanceMask[windows.Length];
        for (int i = 0; i < windows.Length; i++)
        {
            var (left, top, width, height) = windows[i];
            var pixels = width * height == 0 ? Array.Empty<byte>() : (pasted[i] > Threshold).to(ScalarType.Byte).cpu().contiguous().data<byte>().ToArray();
            masks[i] = new InstanceMask(left, top, width, height, pixels);
        }
        return masks;
    }

    /// <summary>
    /// One image's detections with their <c>[K, M, M]</c> mask probabilities (host floats, row-major) pasted into an image of <paramref name="imageSize"/>
    /// (the detections' boxes must be in its pixels), as <see cref="ToInstanceMasks"/> cuts them.
    /// </summary>
    internal static ObjectDetections Attach(ObjectDetections detections, float[] probabilities, int maskSize, (int Height, int Width) imageSize)
    {
        if (detections.Count == 0)
            return new ObjectDetections(Array.Empty<float>(), Array.Empty<int>(), Array.Empty<float>(), Array.Empty<InstanceMask>());
        using var scope = torch.NewDisposeScope();
        var boxes = detections.Boxes.ToArray();
        var masks = ToInstanceMasks(torch.tensor(probabilities, new long[] { detections.Count, maskSize, maskSize }),
            torch.tensor(boxes, new long[] { detections.Count, 4 }), imageSize);
        return new ObjectDetections(boxes, detections.ClassIndices.ToArray(), detections.Scores.ToArray(), masks);
    }

    private static void Check(Tensor probabilities, Tensor boxes, (int Height, int Width) imageSize)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(boxes);
        Boxes.BoxChecks.CheckBoxList(boxes, nameof(boxes));
        if (probabilities.dim() != 3 || probabilities.shape[0] != boxes.shape[0] || probabilities.shape[1] != probabilities.shape[2] || probabilities.shape[1] == 0 || !probabilities.is_floating_point())
            throw new ArgumentException($"probabilities must be float [K, M, M] with one mask per box ({boxes.shape[0]}), got {probabilities.dtype} [{string.Join(", ", probabilities.shape)}].", nameof(probabilities));
        if (imageSize.Height <= 0 || imageSize.Width <= 0)
            throw new ArgumentOutOfRangeException(nameof(imageSize), $"The image must be at least 1x1, got {imageSize.Height}x{imageSize.Width}.");
    }

    /// <summary>torchvision's pasting of each mask (arguments checked by the caller), written into a window of the image (left, top, width, height) instead of the whole image.</summary>
    private static Tensor[] PasteWindows(Tensor probabilities, Tensor boxes, (int Height, int Width) imageSize, IReadOnlyList<(int Left, int Top, int Width, int Height)> windows)
    {
        // TorchSharp cannot read an empty tensor's values, and there is nothing to paste.
        if (windows.Count == 0)
            return Array.Empty<Tensor>();
        long size = probabilities.shape[1];
        var padded = nn.functional.pad(probabilities, new long[] { Padding, Padding, Padding, Padding });
        float scale = (float)(size + 2 * Padding) / size;
        // The expansion in float32 and the truncation toward zero are torchvision's (expand_boxes, .to(int64)).
        var b = boxes.to(ScalarType.Float32);
        var halfWidth = (b[.., 2] - b[.., 0]) * 0.5f * scale;
        var halfHeight = (b[.., 3] - b[.., 1]) * 0.5f * scale;
        var centerX = (b[.., 2] + b[.., 0]) * 0.5f;
        var centerY = (b[.., 3] + b[.., 1]) * 0.5f;
        var expanded = torch.stack(new[] { centerX - halfWidth, centerY - halfHeight, centerX + halfWidth, centerY + halfHeight }, 1)
            .to(ScalarType.Int64).cpu().contiguous().data<long>().ToArray();
        var result = new Tensor[windows.Count];
        for (int i = 0; i < result.Length; i++)
        {
            var (left, top, width, height) = windows[i];
            var canvas = torch.zeros(new long[] { height, width }, probabilities.dtype, probabilities.device);
            long x0 = expanded[4 * i], y0 = expanded[4 * i + 1], x1 = expanded[4 * i + 2], y1 = expanded[4 * i + 3];
            long w = Math.Max(x1 - x0 + 1, 1), h = Math.Max(y1 - y0 + 1, 1);
            // The pasted rectangle, cut to the image and to the window.
            long fromX = Math.Max(Math.Max(x0, 0), left), toX = Math.Min(Math.Min(x1 + 1, imageSize.Width), left + width);
            long fromY = Math.Max(Math.Max(y0, 0), top), toY = Math.Min(Math.Min(y1 + 1, imageSize.Height), top + height);
            if (toX > fromX && toY > fromY)
            {
                var resized = nn.functional.interpolate(padded[i].unsqueeze(0).unsqueeze(0), new long[] { h, w }, mode: InterpolationMode.Bilinear, align_corners: false)[0, 0];
                canvas[TensorIndex.Slice(fromY - top, toY - top), TensorIndex.Slice(fromX - left, toX - left)] =
                    resized[TensorIndex.Slice(fromY - y0, toY - y0), TensorIndex.Slice(fromX - x0, toX - x0)];
            }
            result[i] = canvas;
        }
        return result;
    }
}
