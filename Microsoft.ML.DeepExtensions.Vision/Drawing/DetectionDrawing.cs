using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision.Imaging;
using SkiaSharp;

namespace Microsoft.ML.DeepExtensions.Vision.Drawing;

/// <summary>
/// Paints detections on a copy of an image (boxes, "label score" captions, semi-transparent masks) and saves
/// images as PNG or JPEG. Uses the SkiaSharp that ML.NET's ImageAnalytics runs on (3.119 with ML.NET 6).
/// </summary>
public static class DetectionDrawing
{
    private static readonly string[] FallbackFonts =
    {
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/lato/Lato-Regular.ttf",
    };

    /// <summary>A new image: <paramref name="image"/> with <paramref name="detections"/> painted on it.</summary>
    /// <param name="image">The image the detections' pixel coordinates refer to. Not modified.</param>
    /// <param name="detections">Boxes xyxy in <paramref name="image"/>'s pixels, classes, scores, optional masks.</param>
    /// <param name="classNames">Names by class index for the captions. Defaults to null: the class index is written.</param>
    /// <param name="options">Defaults to <see cref="DetectionDrawingOptions"/>' defaults.</param>
    public static MLImage Draw(MLImage image, ObjectDetections detections, IReadOnlyList<string>? classNames = null, DetectionDrawingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(detections);
        options ??= new DetectionDrawingOptions();
        options.Validate();
        using var bitmap = SkiaImages.ToBitmap(image);
        var visible = Enumerable.Range(0, detections.Count).Where(i => detections[i].Score >= options.MinimumScore).ToArray();
        if (detections.Masks is { } masks && options.MaskOpacity > 0)
        {
            var pixels = SkiaImages.WritablePixels(bitmap);
            bool bgra = bitmap.ColorType == SKColorType.Bgra8888;
            foreach (int i in visible)
                BlendMask(pixels, bitmap.Width, bitmap.Height, bgra, masks[i], ColorOf(detections[i].ClassIndex, options), options.MaskOpacity);
        }
        using (var canvas = new SKCanvas(bitmap))
        using (var stroke = new SKPaint { Style = SKPaintStyle.Stroke, StrokeWidth = options.LineWidth, IsAntialias = true })
        using (var fill = new SKPaint { Style = SKPaintStyle.Fill })
        using (var typeface = options.ShowLabels ? LoadTypeface(options.FontFile) : null)
        using (var font = new SKFont(typeface, options.FontSize))
        using (var text = new SKPaint { IsAntialias = true, Color = SKColors.White })
        {
            foreach (int i in visible)
            {
                var d = detections[i];
                var color = ColorOf(d.ClassIndex, options);
                stroke.Color = color;
                canvas.DrawRect(SKRect.Create(d.X0, d.Y0, d.Width, d.Height), stroke);
                if (!options.ShowLabels)
                    continue;
                string caption = Caption(d, classNames, options.ShowScores);
                float width = font.MeasureText(caption);
                var metrics = font.Metrics;
                float height = metrics.Descent - metrics.Ascent + 2;
                // Caption above the box, or inside it when the box touches the top edge.
                float top = d.Y0 - height >= 0 ? d.Y0 - height : d.Y0;
                fill.Color = color;
                canvas.DrawRect(SKRect.Create(d.X0, top, width + 4, height), fill);
                canvas.DrawText(caption, d.X0 + 2, top + 1 - metrics.Ascent, SKTextAlign.Left, font, text);
            }
        }
        return SkiaImages.ToMLImage(bitmap);
    }

    /// <summary>Saves <paramref name="image"/> as PNG (<c>.png</c>) or JPEG (<c>.jpg</c>, <c>.jpeg</c>), by the file's extension.</summary>
    /// <param name="image">The image to save.</param>
    /// <param name="path">The file to write.</param>
    /// <param name="overwrite">Whether an existing file may be replaced. Defaults to false (an existing file is an error).</param>
    /// <param name="jpegQuality">JPEG quality, 1 to 100. Defaults to 90.</param>
    public static void Save(MLImage image, string path, bool overwrite = false, int jpegQuality = 90)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var format = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".png" => SKEncodedImageFormat.Png,
            ".jpg" or ".jpeg" => SKEncodedImageFormat.Jpeg,
            var other => throw new ArgumentException($"Cannot tell the image format of '{path}' from its extension '{other}': use .png, .jpg or .jpeg.", nameof(path)),
        };
        if (jpegQuality is < 1 or > 100)
            throw new ArgumentOutOfRangeException(nameof(jpegQuality), $"JPEG quality must be in 1..100, got {jpegQuality}.");
        if (!overwrite && File.Exists(path))
            throw new IOException($"'{path}' already exists; pass overwrite: true to replace it.");
        using var bitmap = SkiaImages.ToBitmap(image);
        using var skImage = SKImage.FromBitmap(bitmap);
        using var data = skImage.Encode(format, jpegQuality)
            ?? throw new InvalidOperationException($"SkiaSharp could not encode a {image.Width}x{image.Height} image as {format}.");
        Internals.AtomicFile.Write(path, overwrite, data.SaveTo);
    }

    /// <summary>The color of class <paramref name="classIndex"/>: the palette's, or a hue stepped by the golden angle.</summary>
    public static SKColor ColorOf(int classIndex, DetectionDrawingOptions? options = null)
    {
        if (options?.Palette is { Count: > 0 } palette)
            return palette[classIndex % palette.Count];
        float hue = (classIndex * 137.508f) % 360f;
        return SKColor.FromHsv(hue, 85, 95);
    }

    private static string Caption(DetectedObject d, IReadOnlyList<string>? classNames, bool showScore)
    {
        string name = classNames is not null && d.ClassIndex < classNames.Count ? classNames[d.ClassIndex] : d.ClassIndex.ToString(CultureInfo.InvariantCulture);
        return showScore ? $"{name} {d.Score.ToString("0.00", CultureInfo.InvariantCulture)}" : name;
    }

    private static void BlendMask(Span<byte> pixels, int width, int height, bool bgra, InstanceMask mask, SKColor color, float opacity)
    {
        var values = mask.Pixels.Span;
        byte first = bgra ? color.Blue : color.Red, third = bgra ? color.Red : color.Blue;
        int x0 = Math.Max(0, mask.Left), y0 = Math.Max(0, mask.Top);
        int x1 = Math.Min(width, mask.Left + mask.Width), y1 = Math.Min(height, mask.Top + mask.Height);
        for (int y = y0; y < y1; y++)
        {
            int maskRow = (y - mask.Top) * mask.Width - mask.Left;
            for (int x = x0; x < x1; x++)
            {
                if (values[maskRow + x] == 0)
                    continue;
                int p = (y * width + x) * 4;
                pixels[p] = Blend(pixels[p], first, opacity);
                pixels[p + 1] = Blend(pixels[p + 1], color.Green, opacity);
                pixels[p + 2] = Blend(pixels[p + 2], third, opacity);
            }
        }
    }

    internal static byte Blend(byte under, byte over, float opacity) => (byte)Math.Round(under + (over - under) * opacity);

    internal static SKTypeface LoadTypeface(string? fontFile)
    {
        if (fontFile is not null)
        {
            return SKTypeface.FromFile(fontFile)
                ?? throw new ArgumentException($"FontFile '{fontFile}' is not a font SkiaSharp can read.", nameof(fontFile));
        }
        var typeface = SKTypeface.Default;
        if (HasGlyphs(typeface))
            return typeface;
        foreach (var path in FallbackFonts.Where(File.Exists))
        {
            var candidate = SKTypeface.FromFile(path);
            if (candidate is not null && HasGlyphs(candidate))
                return candidate;
            candidate?.Dispose();
        }
        throw new InvalidOperationException(
            "No font with glyphs was found for the detection labels (SkiaSharp's default typeface is empty on this system and none of " +
            $"{string.Join(", ", FallbackFonts)} exists). Set DetectionDrawingOptions.FontFile, install fonts-dejavu-core, or set ShowLabels = false.");
    }

    private static bool HasGlyphs(SKTypeface typeface) => typeface.GlyphCount > 0 && typeface.CountGlyphs("A") > 0;
}
