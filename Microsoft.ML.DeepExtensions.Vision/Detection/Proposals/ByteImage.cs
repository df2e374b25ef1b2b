namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>An 8-bit image with interleaved channels and rows without padding (OpenCV's <c>CV_8UC(n)</c> Mat).</summary>
/// <param name="Pixels">The bytes, <c>Width · Height · Channels</c> of them.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Channels">Bytes per pixel.</param>
internal sealed record ByteImage(byte[] Pixels, int Width, int Height, int Channels)
{
    /// <summary>Channel <paramref name="channel"/> as its own one-channel image.</summary>
    public byte[] Plane(int channel)
    {
        var plane = new byte[Width * Height];
        for (int i = 0, p = channel; i < plane.Length; i++, p += Channels)
            plane[i] = Pixels[p];
        return plane;
    }
}
