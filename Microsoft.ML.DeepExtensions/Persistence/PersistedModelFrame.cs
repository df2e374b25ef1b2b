using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Microsoft.ML.DeepExtensions.Persistence;

/// <summary>What a DeepExtensions model entry says about itself, read from its frame.</summary>
/// <param name="LoaderSignature">The loader that reads the payload (see <see cref="DeepExtensionsRegistration.AddLoader(string, Type, Func{Microsoft.ML.Runtime.IHostEnvironment, BinaryReader, object})"/>).</param>
/// <param name="ModelSignature">The payload format's name, up to 8 ASCII characters.</param>
/// <param name="Version">The payload format's version, as given to <see cref="ModelPersistence.Save"/>.</param>
/// <param name="LoaderTypeName">The type whose static constructor (or whose assembly's module initializer) adds the loader: "Namespace.Type, Assembly".</param>
/// <param name="EntryName">The zip entry, for messages.</param>
internal readonly record struct PersistedModelInfo(string LoaderSignature, string ModelSignature, uint Version, string LoaderTypeName, string EntryName);

/// <summary>
/// The DeepExtensions frame inside a model entry: a small header, then the transformer's payload.
/// The header says which loader reads the payload, the payload's length, and carries a SHA-256 over
/// the header fields and the payload, so that a truncated or modified model.zip fails with a clear
/// <see cref="InvalidDataException"/> before any loader (or native library) sees the bytes.
/// </summary>
/// <remarks>
/// Layout, little-endian:
/// <code>
/// u32   magic 'DXMF'
/// u32   frame format version (1)
/// u8    n, then n ASCII bytes: loader signature (1..24)
/// 8     model signature, ASCII, space-padded
/// u32   payload version
/// u16   n, then n UTF-8 bytes: loader type name ("Namespace.Type, Assembly")
/// i64   payload length
/// 32    SHA-256 of every header byte above (from the magic) followed by the payload
/// ...   payload
/// </code>
/// </remarks>
internal static class PersistedModelFrame
{
    internal const uint Magic = 0x464D5844; // "DXMF" read as little-endian bytes
    internal const uint FormatVersion = 1;
    internal const int MaxLoaderSignatureLength = 24;
    internal const int ModelSignatureLength = 8;
    private const int MaxLoaderTypeNameBytes = 2048;
    private const int HashBytes = 32;
    private const int CopyBufferBytes = 1 << 16;

    /// <summary>
    /// Writes a frame to <paramref name="stream"/> (which must be seekable, as ML.NET's entry streams are):
    /// the header with a zero length and hash, the payload streamed through a hash, then the length and
    /// hash are written back. The payload is never buffered as a whole.
    /// </summary>
    internal static void Write(Stream stream, string loaderSignature, string modelSignature, uint version, string loaderTypeName, Action<BinaryWriter> writePayload)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(writePayload);
        CheckLoaderSignature(loaderSignature);
        string paddedModelSignature = CheckModelSignature(modelSignature);
        if (!stream.CanSeek || !stream.CanWrite)
            throw new ArgumentException("The model entry stream must be writable and seekable.", nameof(stream));

        byte[] typeNameBytes = Encoding.UTF8.GetBytes(loaderTypeName);
        if (typeNameBytes.Length is 0 or > MaxLoaderTypeNameBytes)
            throw new ArgumentException($"Loader type name must be 1..{MaxLoaderTypeNameBytes} UTF-8 bytes.", nameof(loaderTypeName));

        var header = new MemoryStream();
        using (var w = new BinaryWriter(header, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write((byte)loaderSignature.Length);
            w.Write(Encoding.ASCII.GetBytes(loaderSignature));
            w.Write(Encoding.ASCII.GetBytes(paddedModelSignature));
            w.Write(version);
            w.Write((ushort)typeNameBytes.Length);
            w.Write(typeNameBytes);
        }
        byte[] headerBytes = header.ToArray();

        stream.Write(headerBytes);
        long lengthPosition = stream.Position;
        Span<byte> placeholder = stackalloc byte[sizeof(long) + HashBytes];
        placeholder.Clear();
        stream.Write(placeholder);
        long payloadStart = stream.Position;

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(headerBytes);
        using (var hashing = new HashingWriteStream(stream, hash))
        using (var payloadWriter = new BinaryWriter(hashing, Encoding.UTF8, leaveOpen: true))
        {
            writePayload(payloadWriter);
            payloadWriter.Flush();
        }
        long payloadEnd = stream.Position;
        long length = payloadEnd - payloadStart;

        Span<byte> lengthAndHash = stackalloc byte[sizeof(long) + HashBytes];
        BinaryPrimitives.WriteInt64LittleEndian(lengthAndHash, length);
        if (!hash.TryGetHashAndReset(lengthAndHash[sizeof(long)..], out int written) || written != HashBytes)
            throw new InvalidOperationException("SHA-256 did not produce 32 bytes.");
        stream.Position = lengthPosition;
        stream.Write(lengthAndHash);
        stream.Position = payloadEnd;
    }

    /// <summary>
    /// Reads a frame's header from <paramref name="stream"/>, verifies the payload's length and checksum,
    /// and leaves the stream at the start of the payload. Throws <see cref="InvalidDataException"/> naming
    /// <paramref name="entryName"/> when the frame is damaged.
    /// </summary>
    /// <returns>What the frame says, and where its payload lies.</returns>
    internal static (PersistedModelInfo Info, long PayloadStart, long PayloadLength) ReadAndVerify(Stream stream, string entryName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
            throw new ArgumentException("The model entry stream must be seekable.", nameof(stream));

        long frameStart = stream.Position;
        var header = new MemoryStream();
        var reader = new FrameReader(stream, header, entryName);

        uint magic = reader.UInt32();
        if (magic != Magic)
            throw Damaged(entryName, $"it does not start with the DeepExtensions frame marker (found 0x{magic:X8} at byte {frameStart}, expected 0x{Magic:X8})");
        uint format = reader.UInt32();
        if (format is 0 or > FormatVersion)
        {
            throw format == 0
                ? Damaged(entryName, "its frame format version is 0")
                : new InvalidDataException(
                    $"Model entry '{entryName}' was written by a newer DeepExtensions (frame format {format}); this version reads format {FormatVersion} and older. Update Microsoft.ML.DeepExtensions.");
        }

        int sigLength = reader.Byte();
        if (sigLength is 0 or > MaxLoaderSignatureLength)
            throw Damaged(entryName, $"its loader signature length is {sigLength}");
        string loaderSignature = reader.Ascii(sigLength);
        string modelSignature = reader.Ascii(ModelSignatureLength).TrimEnd(' ');
        uint version = reader.UInt32();
        int typeNameLength = reader.UInt16();
        if (typeNameLength is 0 or > MaxLoaderTypeNameBytes)
            throw Damaged(entryName, $"its loader type name length is {typeNameLength}");
        string loaderTypeName = reader.Utf8(typeNameLength);
        byte[] headerBytes = header.ToArray();

        long length = reader.Int64(hashed: false);
        byte[] expected = reader.Bytes(HashBytes, hashed: false);
        long payloadStart = stream.Position;
        long available = stream.Length - payloadStart;
        if (length < 0 || length > available)
        {
            throw Damaged(entryName,
                $"it is truncated: its payload should hold {length:N0} bytes but only {Math.Max(0, available):N0} remain (loader '{loaderSignature}')");
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(headerBytes);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(CopyBufferBytes);
        try
        {
            long left = length;
            while (left > 0)
            {
                int read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (read <= 0)
                    throw Damaged(entryName, $"it is truncated: its payload ended {left:N0} bytes early (loader '{loaderSignature}')");
                hash.AppendData(buffer, 0, read);
                left -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        byte[] actual = hash.GetHashAndReset();
        if (!CryptographicOperations.FixedTimeEquals(actual, expected))
        {
            throw Damaged(entryName,
                $"checksum mismatch (SHA-256 recorded {Convert.ToHexString(expected)[..16]}..., computed {Convert.ToHexString(actual)[..16]}...; " +
                $"loader '{loaderSignature}', {length:N0} payload bytes). The file was truncated, modified or corrupted after it was saved");
        }

        stream.Position = payloadStart;
        return (new PersistedModelInfo(loaderSignature, modelSignature, version, loaderTypeName, entryName), payloadStart, length);
    }

    internal static void CheckLoaderSignature(string loaderSignature)
    {
        ArgumentException.ThrowIfNullOrEmpty(loaderSignature);
        if (loaderSignature.Length > MaxLoaderSignatureLength || !IsPrintableAscii(loaderSignature))
            throw new ArgumentException($"Loader signature '{loaderSignature}' must be 1..{MaxLoaderSignatureLength} printable ASCII characters.", nameof(loaderSignature));
    }

    /// <returns>The signature padded with spaces to 8 characters.</returns>
    internal static string CheckModelSignature(string modelSignature)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelSignature);
        if (modelSignature.Length > ModelSignatureLength || !IsPrintableAscii(modelSignature) || modelSignature.EndsWith(' '))
            throw new ArgumentException($"Model signature '{modelSignature}' must be 1..{ModelSignatureLength} printable ASCII characters, not ending with a space.", nameof(modelSignature));
        return modelSignature.PadRight(ModelSignatureLength);
    }

    private static bool IsPrintableAscii(string s) => s.All(c => c is >= ' ' and <= '~');

    internal static InvalidDataException Damaged(string entryName, string why) =>
        new($"model.zip entry '{entryName}' is damaged: {why}.");

    /// <summary>Reads the header's fields, copying the hashed ones aside, and turns a short read into a clear error.</summary>
    private readonly struct FrameReader(Stream stream, MemoryStream headerCopy, string entryName)
    {
        public uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4));
        public ushort UInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2));
        public byte Byte() => Bytes(1)[0];
        public long Int64(bool hashed) => BinaryPrimitives.ReadInt64LittleEndian(Bytes(8, hashed));
        public string Ascii(int count)
        {
            byte[] bytes = Bytes(count);
            if (bytes.Any(b => b is < 0x20 or > 0x7E))
                throw Damaged(entryName, "its frame header holds non-ASCII characters where a signature belongs");
            return Encoding.ASCII.GetString(bytes);
        }
        public string Utf8(int count) => Encoding.UTF8.GetString(Bytes(count));

        public byte[] Bytes(int count, bool hashed = true)
        {
            byte[] bytes = new byte[count];
            int done = 0;
            while (done < count)
            {
                int read = stream.Read(bytes, done, count - done);
                if (read <= 0)
                    throw Damaged(entryName, "it is truncated inside the DeepExtensions frame header");
                done += read;
            }
            if (hashed)
                headerCopy.Write(bytes);
            return bytes;
        }
    }

    /// <summary>Forwards writes to the entry stream and into the running SHA-256.</summary>
    private sealed class HashingWriteStream(Stream inner, IncrementalHash hash) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            hash.AppendData(buffer);
            inner.Write(buffer);
        }
        public override void WriteByte(byte value) => Write([value]);
    }
}

/// <summary>A read-only, seekable window [start, start + length) over a seekable stream, handed to loaders.</summary>
internal sealed class BoundedReadStream : Stream
{
    private readonly Stream _inner;
    private readonly long _start;
    private readonly long _length;
    private long _position;

    internal BoundedReadStream(Stream inner, long start, long length)
    {
        _inner = inner;
        _start = start;
        _length = length;
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => _position = value is >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        long left = _length - _position;
        if (left <= 0)
            return 0;
        if (buffer.Length > left)
            buffer = buffer[..(int)left];
        _inner.Position = _start + _position;
        int read = _inner.Read(buffer);
        _position += read;
        return read;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => _length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        return _position;
    }

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
