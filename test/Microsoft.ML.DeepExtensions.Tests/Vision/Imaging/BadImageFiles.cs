using System.Buffers.Binary;
using System.Text;
using SkiaSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Imaging;

/// <summary>
/// Image files a user can get wrong, written into a folder for tests of the API and the CLI: a good PNG,
/// an empty file, a truncated PNG, text named .png, a JPEG named .png, and a valid PNG header that
/// declares 100000x100000 pixels.
/// </summary>
internal static class BadImageFiles
{
    /// <summary>A 40x30 colour PNG (a gradient, so that a truncated copy misses real pixel data).</summary>
    public static byte[] Png(int width = 40, int height = 30, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Bgra8888, SKAlphaType.Opaque));
        var random = new Random(7);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)(x * 6), (byte)(y * 8), (byte)random.Next(256)));
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 95);
        return data.ToArray();
    }

    public static string Empty(string folder) => Write(folder, "empty.png", Array.Empty<byte>());

    public static string Truncated(string folder)
    {
        var png = Png();
        return Write(folder, "truncated.png", png.AsSpan(0, png.Length / 2).ToArray());
    }

    public static string TextNamedPng(string folder) => Write(folder, "notes.png", Encoding.UTF8.GetBytes("these are my holiday notes, not a picture\n"));

    public static string JpegNamedPng(string folder) => Write(folder, "photo-really-jpeg.png", Png(format: SKEncodedImageFormat.Jpeg));

    /// <summary>A PNG signature and an IHDR chunk (with a correct CRC) declaring 100000x100000 RGB pixels, then nothing.</summary>
    public static string AbsurdSize(string folder)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(0), 100_000);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), 100_000);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // colour type: RGB
        var file = new List<byte> { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A };
        Chunk(file, "IHDR", ihdr);
        Chunk(file, "IDAT", new byte[] { 0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01 });
        Chunk(file, "IEND", Array.Empty<byte>());
        return Write(folder, "huge.png", file.ToArray());
    }

    public static string Good(string folder, string name = "good.png") => Write(folder, name, Png());

    private static void Chunk(List<byte> file, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        file.AddRange(length);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        file.AddRange(typed);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        file.AddRange(crc);
    }

    /// <summary>The CRC-32 of PNG chunks (ISO 3309, polynomial 0xEDB88320).</summary>
    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    private static string Write(string folder, string name, byte[] bytes)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
