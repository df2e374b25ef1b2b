using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Imaging;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>Pixels of images for region proposals: the checks and OpenCV's blue-green-red byte order.</summary>
internal static class ProposalImage
{
    /// <summary>Interleaved blue, green, red bytes of a 32-bit image (alpha dropped, as OpenCV's <c>imread</c> drops it).</summary>
    public static byte[] ToBgr(MLImage image, string parameter)
    {
        if (image.Width <= 0 || image.Height <= 0)
            throw new ArgumentException($"The image is empty ({image.Width}x{image.Height} pixels); region proposals need at least 1x1 pixel.", parameter);
        var (red, blue) = ImagePlanes.ChannelOffsets(image);
        var pixels = image.Pixels;
        int count = image.Width * image.Height;
        var bgr = new byte[3 * count];
        for (int i = 0, p = 0; i < count; i++, p += 4)
        {
            bgr[3 * i] = pixels[p + blue];
            bgr[3 * i + 1] = pixels[p + 1];
            bgr[3 * i + 2] = pixels[p + red];
        }
        return bgr;
    }

    /// <summary>Throws unless <paramref name="length"/> bytes hold a <paramref name="width"/>x<paramref name="height"/> image of <paramref name="channels"/> channels.</summary>
    public static void CheckPixels(int length, int width, int height, int channels, string parameter)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"The image is empty ({width}x{height} pixels); it must be at least 1x1 pixel.", parameter);
        if (channels is < 1 or > 4)
            throw new ArgumentOutOfRangeException(nameof(channels), $"Images must have 1 to 4 channels, got {channels}.");
        if ((long)width * height > int.MaxValue / 4)
            throw new ArgumentException($"A {width}x{height} image is too large for region proposals (at most {int.MaxValue / 4} pixels).", parameter);
        if (length != (long)width * height * channels)
            throw new ArgumentException($"A {width}x{height} image of {channels} channels has {(long)width * height * channels} bytes, got {length}.", parameter);
    }
}
