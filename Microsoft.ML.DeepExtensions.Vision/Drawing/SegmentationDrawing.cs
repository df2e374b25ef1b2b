using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Imaging;
using Microsoft.ML.DeepExtensions.Vision.Segmentation;
using SkiaSharp;

namespace Microsoft.ML.DeepExtensions.Vision.Drawing;

/// <summary>
/// Pictures of semantic segmentation: a translucent colour overlay of a <see cref="ClassMap"/> with a legend of the classes
/// it shows, and class maps as 8-bit PNG files (pixel value = class index) to write and read back.
/// </summary>
public static class SegmentationDrawing
{
    /// <summary>A new image: <paramref name="image"/> with each pixel blended with its class's colour, and a legend (top left)
    /// naming the classes present.</summary>
    /// <param name="image">The image the map labels. Not modified.</param>
    /// <param name="map">The class map, of the image's size.</param>
    /// <param name="classNames">Names by class index for the legend. Defaults to null: class indices.</param>
    /// <param name="options">Colours (<c>Palette</c>, else <see cref="DetectionDrawing.ColorOf"/>'s hues), overlay opacity (<c>MaskOpacity</c>),
    /// legend font (<c>FontSize</c>, <c>FontFile</c>); <c>ShowLabels = false</c> leaves the legend out. Defaults to their defaults.</param>
    /// <param name="backgroundClass">A class left unpainted (and out of the legend). Defaults to 0, torchvision's background; null paints every class.</param>
    public static MLImage Draw(MLImage image, ClassMap map, IReadOnlyList<string>? classNames = null, DetectionDrawingOptions? options = null, int? backgroundClass = 0)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(map);
        options ??= new DetectionDrawingOptions();
        options.Validate();
        if (map.Width != image.Width || map.Height != image.Height)
            throw new ArgumentException($"The class map is {map.Width}x{map.Height}, the image {image.Width}x{image.Height}; they must be the same size.", nameof(map));
        using var bitmap = SkiaImages.ToBitmap(image);
        var pixels = SkiaImages.WritablePixels(bitmap);
        bool bgra = bitmap.ColorType == SKColorType.Bgra8888;
        var colors = Enumerable.Range(0, map.ClassCount).Select(c => DetectionDrawing.ColorOf(c, options)).ToArray();
        var classes = map.Classes.Span;
        var present = new bool[map.ClassCount];
        for (int i = 0; i < classes.Length; i++)
        {
            int c = classes[i];
            present[c] = true;
            if (c == backgroundClass)
                continue;
            var color = colors[c];
            int p = 4 * i;
            pixels[p + (bgra ? 2 : 0)] = DetectionDrawing.Blend(pixels[p + (bgra ? 2 : 0)], color.Red, options.MaskOpacity);
            pixels[p + 1] = DetectionDrawing.Blend(pixels[p + 1], color.Green, options.MaskOpacity);
            pixels[p + (bgra ? 0 : 2)] = DetectionDrawing.Blend(pixels[p + (bgra ? 0 : 2)], color.Blue, options.MaskOpacity);
        }
        if (options.ShowLabels)
            DrawLegend(bitmap, Enumerable.Range(0, map.ClassCount).Where(c => present[c] && c != backgroundClass).ToArray(), colors, classNames, options);
        return SkiaImages.ToMLImage(bitmap);
    }

    private static void DrawLegend(SKBitmap bitmap, int[] shown, SKColor[] colors, IReadOnlyList<string>? classNames, DetectionDrawingOptions options)
    {
        if (shown.Length == 0)
            return;
        using var canvas = new SKCanvas(bitmap);
        using var typeface = DetectionDrawing.LoadTypeface(options.FontFile);
        using var font = new SKFont(typeface, options.FontSize);
        using var text = new SKPaint { IsAntialias = true, Color = SKColors.White };
        using var fill = new SKPaint { Style = SKPaintStyle.Fill };
        var metrics = font.Metrics;
        float line = metrics.Descent - metrics.Ascent + 4, square = line - 4, margin = 4;
        string Name(int c) => classNames is not null && c < classNames.Count ? classNames[c] : c.ToString(System.Globalization.CultureInfo.InvariantCulture);
        float width = shown.Max(c => font.MeasureText(Name(c))) + square + 3 * margin;
        fill.Color = new SKColor(0, 0, 0, 160);
        canvas.DrawRect(SKRect.Create(0, 0, width, shown.Length * line + margin), fill);
        for (int i = 0; i < shown.Length; i++)
        {
            float top = margin + i * line;
            fill.Color = colors[shown[i]];
            canvas.DrawRect(SKRect.Create(margin, top, square, square), fill);
            canvas.DrawText(Name(shown[i]), 2 * margin + square, top - metrics.Ascent, SKTextAlign.Left, font, text);
        }
    }

    /// <summary>Writes a class map as an 8-bit greyscale PNG whose pixel values are the class indices (at most 255 classes).</summary>
    public static void SaveClassMap(ClassMap map, string path, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (map.ClassCount > 255)
            throw new ArgumentException($"An 8-bit PNG holds class indices up to 254 (255 is the usual ignore label); this map has {map.ClassCount} classes.", nameof(map));
        if (!overwrite && File.Exists(path))
            throw new IOException($"'{path}' already exists; pass overwrite: true to replace it.");
        using var bitmap = new SKBitmap(new SKImageInfo(map.Width, map.Height, SKColorType.Gray8, SKAlphaType.Opaque));
        var pixels = SkiaImages.WritablePixels(bitmap);
        var classes = map.Classes.Span;
        int stride = bitmap.RowBytes;
        for (int y = 0; y < map.Height; y++)
        {
            for (int x = 0; x < map.Width; x++)
                pixels[y * stride + x] = (byte)classes[y * map.Width + x];
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException($"SkiaSharp could not encode a {map.Width}x{map.Height} class map as PNG.");
        using var file = new FileStream(path, overwrite ? FileMode.Create : FileMode.CreateNew, FileAccess.Write);
        data.SaveTo(file);
    }

    /// <summary>
    /// Reads a label image: a greyscale PNG whose values are class indices (as <see cref="SaveClassMap"/> writes, and as most
    /// data sets ship them), or a colour image in the PASCAL VOC palette (VOC's SegmentationClass files; its border colour
    /// becomes 255). Returns row-major labels.
    /// </summary>
    /// <exception cref="InvalidDataException">The file cannot be decoded, or a colour pixel is neither grey nor a VOC palette colour.</exception>
    public static int[] ReadLabels(string path, out int width, out int height)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Label image '{path}' does not exist.", path);
        using var bitmap = SKBitmap.Decode(path) ?? throw new InvalidDataException($"'{path}' is not an image SkiaSharp can decode.");
        width = bitmap.Width;
        height = bitmap.Height;
        var labels = new int[width * height];
        if (bitmap.ColorType == SKColorType.Gray8)
        {
            var bytes = bitmap.GetPixelSpan();
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                    labels[y * width + x] = bytes[y * bitmap.RowBytes + x];
            }
            return labels;
        }
        // A colour image whose pixels are all grey holds indices as grey levels; otherwise it is in the VOC palette
        // (where grey (128, 128, 128) is class 7, so the two readings cannot be mixed within one image).
        bool grey = true;
        for (int y = 0; y < height && grey; y++)
        {
            for (int x = 0; x < width && grey; x++)
            {
                var c = bitmap.GetPixel(x, y);
                grey = c.Red == c.Green && c.Green == c.Blue;
            }
        }
        var palette = grey ? null : VocPalette();
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                var color = bitmap.GetPixel(x, y);
                if (palette is null)
                    labels[y * width + x] = color.Red;
                else if (palette.TryGetValue(new SKColor(color.Red, color.Green, color.Blue), out int index))
                    labels[y * width + x] = index;
                else
                    throw new InvalidDataException($"'{path}': pixel ({x}, {y}) has colour ({color.Red}, {color.Green}, {color.Blue}), which is not a PASCAL VOC palette colour (and the image is not greyscale).");
            }
        }
        return labels;
    }

    /// <summary>The PASCAL VOC palette: class i's colour from i's bits (bit 0 → red, 1 → green, 2 → blue, from the top bit down); 255 is the border.</summary>
    private static Dictionary<SKColor, int> VocPalette()
    {
        var palette = new Dictionary<SKColor, int>();
        foreach (int i in Enumerable.Range(0, 256))
        {
            int r = 0, g = 0, b = 0, c = i;
            for (int j = 0; j < 8; j++)
            {
                r |= ((c >> 0) & 1) << (7 - j);
                g |= ((c >> 1) & 1) << (7 - j);
                b |= ((c >> 2) & 1) << (7 - j);
                c >>= 3;
            }
            palette.TryAdd(new SKColor((byte)r, (byte)g, (byte)b), i);
        }
        return palette;
    }
}
