using Microsoft.ML.Data;
using SkiaSharp;

namespace Microsoft.ML.DeepExtensions.Vision.Imaging;

/// <summary>
/// Reads an image file into an <see cref="MLImage"/> (32-bit BGRA, the same pixels ML.NET's
/// <c>MLImage.CreateFromFile</c> gives), checking it first so that a bad file is one clear
/// exception naming the file and the fault rather than ML.NET's "Invalid path" or a native crash:
/// an empty file, a file that is no image (whatever its extension says), a header that declares more
/// pixels than <see cref="DefaultMaxPixels"/> (checked before any pixel memory is allocated), and a
/// truncated or damaged file (the decoder must read every pixel). The format is read from the
/// content, so a JPEG named <c>.png</c> is read as the JPEG it is.
/// </summary>
public static class ImageFile
{
    /// <summary>
    /// The most pixels an image may declare: 2^28 = 268,435,456 (16384 x 16384, 1 GiB of BGRA
    /// pixels), far above any photo and below .NET's 2 GiB array limit.
    /// </summary>
    public const long DefaultMaxPixels = 1L << 28;

    /// <summary>Reads and decodes <paramref name="path"/>.</summary>
    /// <param name="path">The image file (JPEG, PNG, BMP, GIF, WebP, ICO, WBMP: what SkiaSharp decodes).</param>
    /// <param name="maxPixels">The most pixels (width x height) accepted. Defaults to <see cref="DefaultMaxPixels"/>.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The path is a folder, or the file cannot be read.</exception>
    /// <exception cref="InvalidDataException">The file is empty, not an image, too large, truncated or damaged.</exception>
    public static MLImage Load(string path, long maxPixels = DefaultMaxPixels)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (maxPixels <= 0)
            throw new ArgumentOutOfRangeException(nameof(maxPixels), maxPixels, $"maxPixels must be positive, got {maxPixels}.");
        return DecodeChecked(ReadBytes(path), $"Image file '{path}'", maxPixels);
    }

    /// <summary>
    /// Decodes an image held in memory (an upload, a database blob) with the same checks as <see cref="Load"/>.
    /// </summary>
    /// <param name="bytes">The encoded image (JPEG, PNG, BMP, GIF, WebP, ICO, WBMP).</param>
    /// <param name="name">What the error messages call the image, e.g. an upload's file name.</param>
    /// <param name="maxPixels">The most pixels (width x height) accepted. Defaults to <see cref="DefaultMaxPixels"/>.</param>
    /// <exception cref="InvalidDataException">The bytes are empty, not an image, too large, truncated or damaged.</exception>
    public static MLImage Decode(ReadOnlySpan<byte> bytes, string name, long maxPixels = DefaultMaxPixels)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (maxPixels <= 0)
            throw new ArgumentOutOfRangeException(nameof(maxPixels), maxPixels, $"maxPixels must be positive, got {maxPixels}.");
        return DecodeChecked(bytes, $"Image '{name}'", maxPixels);
    }

    private static MLImage DecodeChecked(ReadOnlySpan<byte> bytes, string subject, long maxPixels)
    {
        if (bytes.Length == 0)
            throw new InvalidDataException($"{subject} is empty (0 bytes).");

        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data)
            ?? throw new InvalidDataException($"{subject} is not an image SkiaSharp can decode (JPEG, PNG, BMP, GIF, WebP): its first bytes are {Signature(bytes)}.");
        var declared = codec.Info;
        if (declared.Width <= 0 || declared.Height <= 0)
            throw new InvalidDataException($"{subject} declares a size of {declared.Width}x{declared.Height} pixels; an image needs a positive width and height.");
        if ((long)declared.Width * declared.Height > maxPixels)
            throw new InvalidDataException(
                $"{subject} declares {declared.Width}x{declared.Height} pixels ({(long)declared.Width * declared.Height:N0}), more than the limit of {maxPixels:N0}; it is damaged or far larger than any image this reads.");

        // Premultiplied BGRA, as SkiaSharp's SKBitmap.Decode behind ML.NET's MLImage gives them (the same bytes for opaque images).
        var info = new SKImageInfo(declared.Width, declared.Height, SKColorType.Bgra8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap();
        if (!bitmap.TryAllocPixels(info))
            throw new InvalidDataException($"{subject}: {declared.Width}x{declared.Height} pixels do not fit in memory.");
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
            throw new InvalidDataException(result == SKCodecResult.IncompleteInput
                ? $"{subject} is truncated: its {codec.EncodedFormat} data ends before the last of its {declared.Width}x{declared.Height} pixels."
                : $"{subject} is a damaged {codec.EncodedFormat} image: the decoder says {result}.");
        return MLImage.CreateFromPixels(declared.Width, declared.Height, MLPixelFormat.Bgra32, bitmap.GetPixelSpan());
    }

    private static byte[] ReadBytes(string path)
    {
        if (Directory.Exists(path))
            throw new IOException($"Image path '{path}' is a folder, not an image file.");
        if (!File.Exists(path))
            throw new FileNotFoundException($"Image file '{path}' not found.", path);
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"Image file '{path}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>The first bytes in hex, for a message about a file that is no image.</summary>
    private static string Signature(ReadOnlySpan<byte> bytes) =>
        string.Join(" ", bytes[..Math.Min(8, bytes.Length)].ToArray().Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
}
