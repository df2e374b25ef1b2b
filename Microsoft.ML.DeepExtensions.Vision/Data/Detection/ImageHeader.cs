using SkiaSharp;

namespace Microsoft.ML.DeepExtensions.Vision.Data.Detection;

/// <summary>
/// Reads an image file's size from its header (SkiaSharp's codec, the decoder ML.NET's <c>LoadImages</c> uses),
/// without decoding its pixels: the loaders check every image this way, cheaply, when a data set is loaded.
/// </summary>
internal static class ImageHeader
{
    /// <summary>The image's width and height.</summary>
    /// <param name="path">The image file.</param>
    /// <param name="referencedBy">Who names the image (the annotation file and entry), for the message.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">It is not an image SkiaSharp can decode.</exception>
    public static (int Width, int Height) ReadSize(string path, string referencedBy)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{referencedBy}: image file '{path}' not found.", path);
        using var codec = SKCodec.Create(path, out var result);
        if (codec is null || codec.Info.Width <= 0 || codec.Info.Height <= 0)
            throw new InvalidDataException($"{referencedBy}: image file '{path}' cannot be decoded ({result}); images must be JPEG, PNG, BMP, GIF or WebP.");
        return (codec.Info.Width, codec.Info.Height);
    }
}
