using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Imaging;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;

/// <summary>Writes an <see cref="MLImage"/>'s pixels as a planar RGB float tensor (CHW), each byte times a scale.</summary>
internal static class ImageTensorWriter
{
    /// <summary>
    /// Fills <paramref name="destination"/> (<c>3 * Width * Height</c> floats: all R, then all G, then all B)
    /// with the image's 8-bit channels times <paramref name="scale"/> (1/255 for 0..1 inputs).
    /// </summary>
    public static void WriteRgbPlanar(MLImage image, Span<float> destination, float scale)
    {
        int plane = image.Width * image.Height;
        if (destination.Length < 3 * plane)
            throw new ArgumentException($"A {image.Width}x{image.Height} image needs {3 * plane} floats, got {destination.Length}.", nameof(destination));
        var (red, blue) = ImagePlanes.ChannelOffsets(image);
        var pixels = image.Pixels;
        var r = destination[..plane];
        var g = destination.Slice(plane, plane);
        var b = destination.Slice(2 * plane, plane);
        for (int i = 0, p = 0; i < plane; i++, p += 4)
        {
            r[i] = pixels[p + red] * scale;
            g[i] = pixels[p + 1] * scale;
            b[i] = pixels[p + blue] * scale;
        }
    }
}
