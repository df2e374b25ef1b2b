using Microsoft.ML.Data;

namespace Microsoft.ML.DeepExtensions.Vision.Haar.Training;

/// <summary>An 8-bit gray image, rows stored one after another without padding.</summary>
/// <param name="Pixels">Width x Height bytes.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Name">What error messages call it: a file path, or the column and row it came from.</param>
internal sealed record GrayImage(byte[] Pixels, int Width, int Height, string Name)
{
    /// <summary>Converts a 32-bit <see cref="MLImage"/> (BGRA or RGBA) to gray exactly as the detector does.</summary>
    public static GrayImage FromMLImage(MLImage image, string name)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width <= 0 || image.Height <= 0)
            throw new ArgumentException($"Image {name} is empty ({image.Width}x{image.Height}).");
        byte[] gray;
        try
        {
            gray = GrayConversion.FromImage(image);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"Image {name}: {e.Message}", e);
        }
        return new GrayImage(gray, image.Width, image.Height, name);
    }
}
