using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Imaging;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;

/// <summary>
/// How an image of <see cref="SourceWidth"/> × <see cref="SourceHeight"/> is fitted into a network input of
/// <see cref="TargetWidth"/> × <see cref="TargetHeight"/>, and the way back for boxes and masks.
/// </summary>
/// <remarks>
/// <para><b>Letterbox</b> (YOLO): scale both axes by <c>s = min(TW/SW, TH/SH)</c>, so the content is
/// <c>round(SW·s) × round(SH·s)</c> pixels, centered with the padding split as
/// <c>left = (TW - contentW) / 2</c> (integer division; the odd pixel goes right/bottom).</para>
/// <para><b>Stretch</b>: scale each axis independently to the target; no padding.</para>
/// <para>The mapping uses the exact per-axis factors <c>contentW/SW</c> and <c>contentH/SH</c> (what the pixels
/// really underwent): target → source is <c>x = (x' - left) · SW/contentW</c>.</para>
/// </remarks>
public sealed class ImageResizeMapping
{
    private ImageResizeMapping(int sourceWidth, int sourceHeight, int targetWidth, int targetHeight, int contentWidth, int contentHeight)
    {
        SourceWidth = sourceWidth;
        SourceHeight = sourceHeight;
        TargetWidth = targetWidth;
        TargetHeight = targetHeight;
        ContentWidth = contentWidth;
        ContentHeight = contentHeight;
        PadLeft = (targetWidth - contentWidth) / 2;
        PadTop = (targetHeight - contentHeight) / 2;
    }

    /// <summary>Letterbox: keep the aspect ratio, pad the rest.</summary>
    public static ImageResizeMapping Letterbox(int sourceWidth, int sourceHeight, int targetWidth, int targetHeight)
    {
        CheckSizes(sourceWidth, sourceHeight, targetWidth, targetHeight);
        double scale = Math.Min((double)targetWidth / sourceWidth, (double)targetHeight / sourceHeight);
        int contentWidth = Math.Clamp((int)Math.Round(sourceWidth * scale, MidpointRounding.AwayFromZero), 1, targetWidth);
        int contentHeight = Math.Clamp((int)Math.Round(sourceHeight * scale, MidpointRounding.AwayFromZero), 1, targetHeight);
        return new ImageResizeMapping(sourceWidth, sourceHeight, targetWidth, targetHeight, contentWidth, contentHeight);
    }

    /// <summary>Plain resize: each axis scaled to the target.</summary>
    public static ImageResizeMapping Stretch(int sourceWidth, int sourceHeight, int targetWidth, int targetHeight)
    {
        CheckSizes(sourceWidth, sourceHeight, targetWidth, targetHeight);
        return new ImageResizeMapping(sourceWidth, sourceHeight, targetWidth, targetHeight, targetWidth, targetHeight);
    }

    public int SourceWidth { get; }

    public int SourceHeight { get; }

    public int TargetWidth { get; }

    public int TargetHeight { get; }

    /// <summary>Width of the resized image inside the target.</summary>
    public int ContentWidth { get; }

    /// <summary>Height of the resized image inside the target.</summary>
    public int ContentHeight { get; }

    /// <summary>Padding columns left of the content.</summary>
    public int PadLeft { get; }

    /// <summary>Padding rows above the content.</summary>
    public int PadTop { get; }

    /// <summary>Target pixels per source pixel along x.</summary>
    public double ScaleX => (double)ContentWidth / SourceWidth;

    /// <summary>Target pixels per source pixel along y.</summary>
    public double ScaleY => (double)ContentHeight / SourceHeight;

    /// <summary>Maps <c>[..., 4]</c> xyxy boxes from target (network input) pixels back to source pixels, clipped to the source image.</summary>
    public Tensor BoxesToSource(Tensor boxes)
    {
        BoxChecks.CheckBoxes(boxes, nameof(boxes));
        using var scope = torch.NewDisposeScope();
        var (x0, y0, x1, y1) = BoxConversion.Unbind(boxes);
        double sx = 1 / ScaleX, sy = 1 / ScaleY;
        return torch.stack(new[]
        {
            ((x0 - PadLeft) * sx).clamp(0, SourceWidth), ((y0 - PadTop) * sy).clamp(0, SourceHeight),
            ((x1 - PadLeft) * sx).clamp(0, SourceWidth), ((y1 - PadTop) * sy).clamp(0, SourceHeight),
        }, -1).MoveToOuterDisposeScope();
    }

    /// <summary>Maps <c>[..., 4]</c> xyxy boxes from source pixels to target (network input) pixels.</summary>
    public Tensor BoxesToTarget(Tensor boxes)
    {
        BoxChecks.CheckBoxes(boxes, nameof(boxes));
        using var scope = torch.NewDisposeScope();
        var (x0, y0, x1, y1) = BoxConversion.Unbind(boxes);
        return torch.stack(new[] { x0 * ScaleX + PadLeft, y0 * ScaleY + PadTop, x1 * ScaleX + PadLeft, y1 * ScaleY + PadTop }, -1)
            .MoveToOuterDisposeScope();
    }

    /// <summary>As <see cref="BoxesToSource(Tensor)"/>, in place over managed <c>[N, 4]</c> xyxy boxes.</summary>
    public void BoxesToSource(Span<float> boxes)
    {
        if (boxes.Length % 4 != 0)
            throw new ArgumentException($"Boxes need 4 values each, got {boxes.Length} values.", nameof(boxes));
        double sx = 1 / ScaleX, sy = 1 / ScaleY;
        for (int i = 0; i < boxes.Length; i++)
        {
            // Values alternate x, y, x, y within each box.
            bool isX = i % 2 == 0;
            double value = isX ? (boxes[i] - PadLeft) * sx : (boxes[i] - PadTop) * sy;
            boxes[i] = (float)Math.Clamp(value, 0, isX ? SourceWidth : SourceHeight);
        }
    }

    /// <summary>
    /// Maps masks from target pixels back to the source image: crops the content (drops the padding) and
    /// resizes it bilinearly (half-pixel centers) to the source size.
    /// </summary>
    /// <param name="masks"><c>[N, TargetHeight, TargetWidth]</c> floating-point masks (e.g. probabilities).</param>
    /// <returns><c>[N, SourceHeight, SourceWidth]</c>.</returns>
    public Tensor MasksToSource(Tensor masks)
    {
        ArgumentNullException.ThrowIfNull(masks);
        if (masks.dim() != 3 || masks.shape[1] != TargetHeight || masks.shape[2] != TargetWidth || !masks.is_floating_point())
            throw new ArgumentException($"Masks must be floating point with shape [N, {TargetHeight}, {TargetWidth}], got {masks.dtype} [{string.Join(", ", masks.shape)}].", nameof(masks));
        if (masks.shape[0] == 0)
            return torch.empty(new long[] { 0, SourceHeight, SourceWidth }, masks.dtype, masks.device);
        using var scope = torch.NewDisposeScope();
        var content = masks.narrow(1, PadTop, ContentHeight).narrow(2, PadLeft, ContentWidth).unsqueeze(1);
        var resized = nn.functional.interpolate(content, new long[] { SourceHeight, SourceWidth }, mode: InterpolationMode.Bilinear, align_corners: false);
        return resized.squeeze(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Maps masks from the source image into target pixels, as <see cref="Apply"/> maps the image: the masks resized
    /// bilinearly (half-pixel centers) to the content size and placed at (<see cref="PadLeft"/>, <see cref="PadTop"/>);
    /// the padding is 0.
    /// </summary>
    /// <param name="masks"><c>[N, SourceHeight, SourceWidth]</c> floating-point masks.</param>
    /// <returns><c>[N, TargetHeight, TargetWidth]</c>.</returns>
    public Tensor MasksToTarget(Tensor masks)
    {
        ArgumentNullException.ThrowIfNull(masks);
        if (masks.dim() != 3 || masks.shape[1] != SourceHeight || masks.shape[2] != SourceWidth || !masks.is_floating_point())
            throw new ArgumentException($"Masks must be floating point with shape [N, {SourceHeight}, {SourceWidth}], got {masks.dtype} [{string.Join(", ", masks.shape)}].", nameof(masks));
        using var scope = torch.NewDisposeScope();
        var target = torch.zeros(new long[] { masks.shape[0], TargetHeight, TargetWidth }, masks.dtype, masks.device);
        if (masks.shape[0] == 0)
            return target.MoveToOuterDisposeScope();
        var resized = nn.functional.interpolate(masks.unsqueeze(1), new long[] { ContentHeight, ContentWidth }, mode: InterpolationMode.Bilinear, align_corners: false).squeeze(1);
        target[.., PadTop..(PadTop + ContentHeight), PadLeft..(PadLeft + ContentWidth)] = resized;
        return target.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Renders <paramref name="image"/> (of the source size) into a new target-size image: bilinear resize of the
    /// content, padding filled with <paramref name="padding"/>.
    /// </summary>
    /// <param name="image">The source image, <see cref="SourceWidth"/> × <see cref="SourceHeight"/>.</param>
    /// <param name="padding">Fill color of the padding. Defaults to gray (114, 114, 114), as YOLOv5/v8.</param>
    public MLImage Apply(MLImage image, SKColor? padding = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width != SourceWidth || image.Height != SourceHeight)
            throw new ArgumentException($"This mapping is for {SourceWidth}x{SourceHeight} images, got {image.Width}x{image.Height}.", nameof(image));
        using var source = SkiaImages.ToBitmap(image);
        using var target = new SKBitmap(new SKImageInfo(TargetWidth, TargetHeight, SKColorType.Bgra8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(target))
        using (var sourceImage = SKImage.FromBitmap(source))
        using (var paint = new SKPaint { IsAntialias = false })
        {
            canvas.Clear(padding ?? new SKColor(114, 114, 114));
            // Bilinear without mipmaps (what SkiaSharp 2.88 called FilterQuality.Low).
            canvas.DrawImage(sourceImage, SKRect.Create(PadLeft, PadTop, ContentWidth, ContentHeight), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None), paint);
        }
        return SkiaImages.ToMLImage(target);
    }

    private static void CheckSizes(int sourceWidth, int sourceHeight, int targetWidth, int targetHeight)
    {
        if (sourceWidth <= 0 || sourceHeight <= 0)
            throw new ArgumentOutOfRangeException(nameof(sourceWidth), $"The source image must be at least 1x1, got {sourceWidth}x{sourceHeight}.");
        if (targetWidth <= 0 || targetHeight <= 0)
            throw new ArgumentOutOfRangeException(nameof(targetWidth), $"The target size must be at least 1x1, got {targetWidth}x{targetHeight}.");
    }
}
