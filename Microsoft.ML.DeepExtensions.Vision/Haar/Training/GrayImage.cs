using Microsoft.ML.Data;

namespace Microsoft.ML.DeepExtensions.Vision.Haar.Training;

/// <summary>An 8-bit gray image, rows stored one after another without padding.</summary>
/// <param name="Pixels">Width x Height bytes.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Name">What error messages call it: a file path, or the column and row it came from.</param>
internal sealed record GrayImage(byte[] Pixels, int Width, int Height, string Name)
{
    // OpenCV's fixed-point BGR-to-gray weights (0.299 R + 0.587 G + 0.114 B, 14 fractional bits).
    private const int RedWeight = 4899, GreenWeight = 9617, BlueWeight = 1868, Shift = 14;

    /// <summary>Converts a 32-bit <see cref="MLImage"/> (BGRA or RGBA) to gray as OpenCV's <c>cvtColor</c> does; alpha is ignored.</summary>
    public static GrayImage FromMLImage(MLImage image, string name)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width <= 0 || image.Height <= 0)
            throw new ArgumentException($"Image {name} is empty ({image.Width}x{image.Height}).");
        (int r, int b) = image.PixelFormat switch
        {
            MLPixelFormat.Bgra32 => (2, 0),
            MLPixelFormat.Rgba32 => (0, 2),
            _ => throw new ArgumentException($"Image {name} has pixel format {image.PixelFormat}; expected Bgra32 or Rgba32."),
        };
        var pixels = image.Pixels;
        var gray = new byte[image.Width * image.Height];
        for (int i = 0; i < gray.Length; i++)
        {
            int p = 4 * i;
            gray[i] = (byte)((pixels[p + r] * RedWeight + pixels[p + 1] * GreenWeight + pixels[p + b] * BlueWeight + (1 << (Shift - 1))) >> Shift);
        }
        return new GrayImage(gray, image.Width, image.Height, name);
    }
}
