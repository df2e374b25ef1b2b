using Microsoft.ML.Data;

namespace Microsoft.ML.DeepExtensions.Vision.Haar;

/// <summary>
/// Colour to gray as OpenCV's <c>cvtColor(..., COLOR_BGR2GRAY)</c> computes it for 8-bit images
/// (ITU-R BT.601 weights 0.299 R + 0.587 G + 0.114 B in 15-bit fixed point, summing to exactly 2^15 so that
/// white stays 255, rounded half up; checked against OpenCV 4.13 on a quarter million random colours), so that a
/// colour <see cref="MLImage"/> gives the detector exactly the pixels OpenCV's detector sees.
/// </summary>
internal static class GrayConversion
{
    private const int Shift = 15;
    private const int RedWeight = 9798;   // round(0.299 · 2^15)
    private const int GreenWeight = 19235; // round(0.587 · 2^15)
    private const int BlueWeight = 3735;  // 2^15 - the other two (round(0.114 · 2^15) would be 3736)

    /// <summary>Gray from one blue, green and red value.</summary>
    public static byte Gray(byte blue, byte green, byte red) =>
        (byte)((blue * BlueWeight + green * GreenWeight + red * RedWeight + (1 << (Shift - 1))) >> Shift);

    /// <summary>Gray pixels of a 32-bit BGRA or RGBA image (alpha ignored, as OpenCV ignores it).</summary>
    public static byte[] FromImage(MLImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (blue, red) = image.PixelFormat switch
        {
            MLPixelFormat.Bgra32 => (0, 2),
            MLPixelFormat.Rgba32 => (2, 0),
            _ => throw new ArgumentException($"Images must be 32-bit BGRA or RGBA, got pixel format {image.PixelFormat}.", nameof(image)),
        };
        var pixels = image.Pixels;
        var gray = new byte[image.Width * image.Height];
        for (int i = 0, p = 0; i < gray.Length; i++, p += 4)
            gray[i] = Gray(pixels[p + blue], pixels[p + 1], pixels[p + red]);
        return gray;
    }

    /// <summary>Gray pixels of interleaved 3-channel BGR bytes (rows without padding).</summary>
    public static byte[] FromBgr(ReadOnlySpan<byte> bgr, int width, int height)
    {
        if (bgr.Length < 3L * width * height)
            throw new ArgumentException($"A {width}x{height} BGR image needs {3L * width * height} bytes, got {bgr.Length}.", nameof(bgr));
        var gray = new byte[width * height];
        for (int i = 0, p = 0; i < gray.Length; i++, p += 3)
            gray[i] = Gray(bgr[p], bgr[p + 1], bgr[p + 2]);
        return gray;
    }
}
