using System.Buffers.Binary;
using System.IO.Compression;

namespace Microsoft.ML.DeepExtensions.Vision.Data;

/// <summary>
/// One IDX file of unsigned bytes (the MNIST format), read whole and checked: a big-endian header
/// (magic number <c>0x0000 08 D</c>: two zero bytes, type code 0x08 for unsigned byte, D dimensions),
/// D big-endian 32-bit sizes, then exactly the product of the sizes in bytes. Gzip-compressed files
/// are recognised by their first two bytes (0x1F 0x8B), whatever their name.
/// </summary>
internal sealed class IdxFile
{
    private const byte UnsignedByteType = 0x08;

    private IdxFile(string path, int[] dimensions, byte[] data)
    {
        Path = path;
        Dimensions = dimensions;
        Data = data;
    }

    /// <summary>The file's full path, for messages.</summary>
    public string Path { get; }

    /// <summary>The header's sizes, outermost first (count, rows, columns for images).</summary>
    public int[] Dimensions { get; }

    /// <summary>The values, row-major.</summary>
    public byte[] Data { get; }

    /// <summary>Reads an IDX file of <paramref name="dimensions"/> dimensions; <paramref name="kind"/> names it in errors ("images", "labels").</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not such an IDX file, is truncated, has trailing bytes, or is corrupt gzip.</exception>
    public static IdxFile Read(string path, int dimensions, string kind)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath))
            throw new FileNotFoundException($"IDX {kind} file '{fullPath}' not found.", fullPath);

        try
        {
            using var file = File.OpenRead(fullPath);
            using var stream = IsGzip(file) ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
            return Read(stream, fullPath, dimensions, kind);
        }
        catch (InvalidDataException error) when (!error.Message.Contains(fullPath, StringComparison.Ordinal))
        {
            // GZipStream's own errors ("The archive entry was compressed using an unsupported
            // compression method", "Found invalid data while decoding") do not say which file.
            throw new InvalidDataException($"IDX {kind} file '{fullPath}' is not valid gzip data: {error.Message}", error);
        }
    }

    private static IdxFile Read(Stream stream, string path, int dimensions, string kind)
    {
        Span<byte> magic = stackalloc byte[4];
        if (ReadFully(stream, magic) < 4)
            throw new InvalidDataException($"IDX {kind} file '{path}' is too short to hold the 4-byte magic number.");
        int expectedMagic = UnsignedByteType << 8 | dimensions;
        int actualMagic = BinaryPrimitives.ReadInt32BigEndian(magic);
        if (actualMagic != expectedMagic)
            throw new InvalidDataException(
                $"IDX {kind} file '{path}' has magic number 0x{actualMagic:X8}, expected 0x{expectedMagic:X8} (unsigned bytes in {dimensions} dimension{(dimensions == 1 ? "" : "s")}). {DescribeMagic(magic)}");

        var sizes = new int[dimensions];
        Span<byte> sizeBytes = stackalloc byte[4];
        long total = 1;
        for (int i = 0; i < dimensions; i++)
        {
            if (ReadFully(stream, sizeBytes) < 4)
                throw new InvalidDataException($"IDX {kind} file '{path}' ends inside its header (size {i + 1} of {dimensions}).");
            int size = BinaryPrimitives.ReadInt32BigEndian(sizeBytes);
            if (size < 0 || (i > 0 && size == 0))
                throw new InvalidDataException($"IDX {kind} file '{path}' has size {size} in dimension {i + 1}; sizes must be positive (the count may be 0).");
            sizes[i] = size;
            total *= size;
            if (total > Array.MaxLength)
                throw new InvalidDataException($"IDX {kind} file '{path}' declares [{string.Join(", ", sizes.Take(i + 1))}...] = more than {Array.MaxLength:N0} values, which do not fit in memory as one array.");
        }

        var data = new byte[total];
        int read = ReadFully(stream, data);
        if (read < total)
            throw new InvalidDataException(
                $"IDX {kind} file '{path}' is truncated: its header [{string.Join(", ", sizes)}] declares {total:N0} bytes of data, but only {read:N0} follow.");
        if (stream.ReadByte() >= 0)
            throw new InvalidDataException(
                $"IDX {kind} file '{path}' has bytes after the {total:N0} bytes of data its header [{string.Join(", ", sizes)}] declares.");
        return new IdxFile(path, sizes, data);
    }

    private static bool IsGzip(FileStream file)
    {
        Span<byte> start = stackalloc byte[2];
        int read = ReadFully(file, start);
        file.Position = 0;
        return read == 2 && start[0] == 0x1F && start[1] == 0x8B;
    }

    private static string DescribeMagic(ReadOnlySpan<byte> magic)
    {
        if (magic[0] != 0 || magic[1] != 0)
            return "An IDX file starts with two zero bytes; this one does not.";
        string type = magic[2] switch
        {
            0x08 => "unsigned byte",
            0x09 => "signed byte",
            0x0B => "short",
            0x0C => "int",
            0x0D => "float",
            0x0E => "double",
            _ => $"unknown type 0x{magic[2]:X2}",
        };
        return $"It holds {type} values in {magic[3]} dimension{(magic[3] == 1 ? "" : "s")}.";
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns the bytes read.</summary>
    private static int ReadFully(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = stream.Read(buffer[total..]);
            if (read == 0)
                break;
            total += read;
        }
        return total;
    }
}
