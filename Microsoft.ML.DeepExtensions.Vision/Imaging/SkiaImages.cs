using Microsoft.ML.Data;
using SkiaSharp;

namespace Microsoft.ML.DeepExtensions.Vision.Imaging;

/// <summary>Copies pixels between ML.NET's <see cref="MLImage"/> and SkiaSharp bitmaps (32-bit BGRA or RGBA, unpremultiplied).</summary>
internal static class SkiaImages
{
    /// <summary>A new bitmap with <paramref name="image"/>'s pixels.</summary>
    public static SKBitmap ToBitmap(MLImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var colorType = image.PixelFormat switch
        {
            MLPixelFormat.Bgra32 => SKColorType.Bgra8888,
            MLPixelFormat.Rgba32 => SKColorType.Rgba8888,
            _ => throw new ArgumentException($"Images must be 32-bit BGRA or RGBA, got pixel format {image.PixelFormat}.", nameof(image)),
        };
        var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, colorType, SKAlphaType.Unpremul));
        image.Pixels.CopyTo(WritablePixels(bitmap));
        return bitmap;
    }

    /// <summary>The pixel memory of <paramref name="bitmap"/> for writing (SkiaSharp 2.88 hands out only a read-only span).</summary>
    public static unsafe Span<byte> WritablePixels(SKBitmap bitmap)
    {
        if (bitmap.RowBytes != bitmap.Width * bitmap.BytesPerPixel)
            throw new InvalidOperationException($"Bitmap rows are padded ({bitmap.RowBytes} bytes for {bitmap.Width} pixels).");
        return new Span<byte>((void*)bitmap.GetPixels(), bitmap.ByteCount);
    }

    /// <summary>A new <see cref="MLImage"/> with <paramref name="bitmap"/>'s pixels, converted to BGRA if needed.</summary>
    public static MLImage ToMLImage(SKBitmap bitmap)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        if (bitmap.ColorType == SKColorType.Bgra8888 && bitmap.AlphaType == SKAlphaType.Unpremul)
            return MLImage.CreateFromPixels(bitmap.Width, bitmap.Height, MLPixelFormat.Bgra32, bitmap.GetPixelSpan());
        using var converted = new SKBitmap(new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Bgra8888, SKAlphaType.Unpremul));
        if (!bitmap.CopyTo(converted, SKColorType.Bgra8888))
            throw new InvalidOperationException($"Could not convert a {bitmap.ColorType} bitmap to BGRA.");
        return MLImage.CreateFromPixels(converted.Width, converted.Height, MLPixelFormat.Bgra32, converted.GetPixelSpan());
    }
}
