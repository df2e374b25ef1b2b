using System.Buffers.Binary;
using System.IO.Compression;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Data;

/// <summary>Writes small IDX files for tests, by the format's definition (big-endian header, then unsigned bytes).</summary>
internal static class IdxTestFiles
{
    /// <summary>The bytes of an IDX file of unsigned bytes with the given sizes and data.</summary>
    public static byte[] Bytes(int[] sizes, byte[] data, int? magic = null)
    {
        var bytes = new byte[4 + 4 * sizes.Length + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic ?? (0x0800 | sizes.Length));
        for (int i = 0; i < sizes.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), sizes[i]);
        data.CopyTo(bytes, 4 + 4 * sizes.Length);
        return bytes;
    }

    public static byte[] Gzip(byte[] bytes)
    {
        using var memory = new MemoryStream();
        using (var gzip = new GZipStream(memory, CompressionLevel.Optimal, leaveOpen: true))
            gzip.Write(bytes);
        return memory.ToArray();
    }

    /// <summary>Writes images (count×rows×cols) and labels files into <paramref name="folder"/>; returns their paths.</summary>
    public static (string Images, string Labels) Write(string folder, string prefix, byte[,,] images, byte[] labels, bool gzip)
    {
        int count = images.GetLength(0), rows = images.GetLength(1), cols = images.GetLength(2);
        var pixels = new byte[count * rows * cols];
        Buffer.BlockCopy(images, 0, pixels, 0, pixels.Length);
        var suffix = gzip ? ".gz" : "";
        var imagesPath = Path.Combine(folder, $"{prefix}-images-idx3-ubyte{suffix}");
        var labelsPath = Path.Combine(folder, $"{prefix}-labels-idx1-ubyte{suffix}");
        var imageBytes = Bytes(new[] { count, rows, cols }, pixels);
        var labelBytes = Bytes(new[] { labels.Length }, labels);
        File.WriteAllBytes(imagesPath, gzip ? Gzip(imageBytes) : imageBytes);
        File.WriteAllBytes(labelsPath, gzip ? Gzip(labelBytes) : labelBytes);
        return (imagesPath, labelsPath);
    }

    /// <summary><paramref name="count"/> images of 2×3 pixels; pixel (r, c) of image i is (i·6 + r·3 + c)·7 mod 256.</summary>
    public static byte[,,] Images(int count)
    {
        var images = new byte[count, 2, 3];
        for (int i = 0; i < count; i++)
            for (int r = 0; r < 2; r++)
                for (int c = 0; c < 3; c++)
                    images[i, r, c] = (byte)((i * 6 + r * 3 + c) * 7 % 256);
        return images;
    }

    public static string TempFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "deepext-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }
}
