using Microsoft.ML.Data;

namespace Microsoft.ML.DeepExtensions.Vision.Imaging;

/// <summary>
/// Interleaved 32-bit <see cref="MLImage"/> pixels as planar RGB (all R, then all G, then all B), the layout
/// networks read.
/// </summary>
internal static class ImagePlanes
{
    /// <summary>
    /// Byte offsets of red and blue inside a pixel: MLImage holds BGRA or RGBA depending on the platform
    /// (green is always 1, alpha 3 and ignored).
    /// </summary>
    public static (int Red, int Blue) ChannelOffsets(MLImage image) => image.PixelFormat switch
    {
        MLPixelFormat.Bgra32 => (2, 0),
        MLPixelFormat.Rgba32 => (0, 2),
        _ => throw new NotSupportedException($"Images in pixel format {image.PixelFormat} cannot be read; expected Bgra32 or Rgba32."),
    };

    /// <summary>Fills <paramref name="destination"/> (<c>3 * Width * Height</c> bytes) with the image's planar RGB bytes.</summary>
    public static void WriteRgbBytes(MLImage image, Span<byte> destination)
    {
        int plane = image.Width * image.Height;
        if (destination.Length < 3 * plane)
            throw new ArgumentException($"A {image.Width}x{image.Height} image needs {3 * plane} bytes, got {destination.Length}.", nameof(destination));
        var (red, blue) = ChannelOffsets(image);
        var pixels = image.Pixels;
        var r = destination[..plane];
        var g = destination.Slice(plane, plane);
        var b = destination.Slice(2 * plane, plane);
        for (int i = 0, p = 0; i < plane; i++, p += 4)
        {
            r[i] = pixels[p + red];
            g[i] = pixels[p + 1];
            b[i] = pixels[p + blue];
        }
    }
}
