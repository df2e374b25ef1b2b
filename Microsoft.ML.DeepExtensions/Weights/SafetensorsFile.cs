using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.DeepExtensions.Backend;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Weights;

/// <summary>
/// The safetensors format (Hugging Face): an unsigned 64-bit little-endian header length N, N bytes of JSON
/// (<c>{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}</c>, padded
/// with spaces), then the tensors' raw little-endian bytes, with offsets relative to the end of the header.
/// Written here directly: the format is a header and raw data, and every rule is checked with a message that
/// names the tensor.
/// </summary>
internal static class SafetensorsFile
{
    /// <summary>Headers larger than this are refused as corrupt (the reference implementation's limit is 100 MB).</summary>
    private const long MaxHeaderBytes = 100_000_000;

    private static readonly Dictionary<string, ScalarType> Types = new()
    {
        ["F64"] = ScalarType.Float64, ["F32"] = ScalarType.Float32, ["F16"] = ScalarType.Float16, ["BF16"] = ScalarType.BFloat16,
        ["I64"] = ScalarType.Int64, ["I32"] = ScalarType.Int32, ["I16"] = ScalarType.Int16, ["I8"] = ScalarType.Int8,
        ["U8"] = ScalarType.Byte, ["BOOL"] = ScalarType.Bool,
    };

    public static StateDict Read(string path)
    {
        TorchBackend.EnsureStarted();
        using var stream = File.OpenRead(path);
        long fileLength = stream.Length;
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) < 8)
            throw new WeightFileException(path, null, $"the file has {fileLength} bytes, fewer than the 8 of a safetensors header length.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderBytes || (long)headerLength > fileLength - 8)
            throw new WeightFileException(path, null, $"the header length {headerLength} does not fit the file's {fileLength} bytes (not a safetensors file, or truncated).");
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        JsonObject entries;
        try
        {
            entries = JsonNode.Parse(header)?.AsObject() ?? throw new JsonException("the header is null");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new WeightFileException(path, null, $"the header is not a JSON object ({ex.Message}).", ex);
        }

        long dataStart = 8 + (long)headerLength, dataLength = fileLength - dataStart;
        var tensors = new List<(string Name, ScalarType Type, long[] Shape, long Begin, long End)>();
        foreach (var (name, node) in entries)
        {
            if (name == "__metadata__")
                continue;
            tensors.Add(ParseEntry(path, name, node, dataLength));
        }

        // The reference format has no gaps and no overlaps: sorted by offset, each tensor starts where the previous ended.
        long expected = 0;
        foreach (var t in tensors.OrderBy(t => t.Begin))
        {
            if (t.Begin != expected)
                throw new WeightFileException(path, t.Name, $"its data starts at byte {t.Begin} of the data section, expected {expected} (safetensors data has no gaps or overlaps).");
            expected = t.End;
        }
        if (expected != dataLength)
            throw new WeightFileException(path, null, $"the tensors cover {expected} bytes of data but the file holds {dataLength} after the header (truncated or padded).");

        var result = new StateDict();
        try
        {
            foreach (var (name, type, shape, begin, end) in tensors)
            {
                if (end - begin > int.MaxValue)
                    throw new WeightFileException(path, name, $"{end - begin} bytes; tensors of 2 GB or more are not supported.");
                var bytes = new byte[end - begin];
                stream.Position = dataStart + begin;
                stream.ReadExactly(bytes);
                var tensor = empty(shape, type);
                tensor.bytes = bytes;
                result.Add(name, tensor);
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>Writes <paramref name="tensors"/> (on the CPU, contiguous) in order, with optional string metadata.</summary>
    public static void Write(Stream output, IReadOnlyList<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JsonObject(metadata.Select(p => new KeyValuePair<string, JsonNode?>(p.Key, p.Value)));
        long offset = 0;
        foreach (var (name, tensor) in tensors)
        {
            long size = tensor.NumberOfElements * tensor.ElementSize;
            header[name] = new JsonObject
            {
                ["dtype"] = TypeName(tensor.dtype, name),
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode?)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + size),
            };
            offset += size;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8; // the reference writer aligns the data to 8 bytes with spaces
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        output.Write(length);
        output.Write(json);
        for (int i = json.Length; i < padded; i++)
            output.WriteByte((byte)' ');
        foreach (var (_, tensor) in tensors)
            output.Write(tensor.bytes);
    }

    private static (string, ScalarType, long[], long, long) ParseEntry(string path, string name, JsonNode? node, long dataLength)
    {
        try
        {
            var entry = node!.AsObject();
            string typeName = entry["dtype"]!.GetValue<string>();
            if (!Types.TryGetValue(typeName, out var type))
                throw new WeightFileException(path, name, $"dtype '{typeName}' is not supported (supported: {string.Join(", ", Types.Keys)}).");
            var shape = entry["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            var offsets = entry["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            if (shape.Any(d => d < 0))
                throw new WeightFileException(path, name, $"shape [{string.Join(", ", shape)}] has a negative size.");
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
                throw new WeightFileException(path, name, $"data_offsets [{string.Join(", ", offsets)}] lie outside the {dataLength} bytes of data (the file is truncated or corrupt).");
            long elementSize = type switch
            {
                ScalarType.Float64 or ScalarType.Int64 => 8,
                ScalarType.Float32 or ScalarType.Int32 => 4,
                ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
                _ => 1,
            };
            long needed = shape.Aggregate(1L, (a, b) => checked(a * b)) * elementSize;
            if (offsets[1] - offsets[0] != needed)
                throw new WeightFileException(path, name, $"holds {offsets[1] - offsets[0]} bytes but shape [{string.Join(", ", shape)}] of {typeName} needs {needed}.");
            return (name, type, shape, offsets[0], offsets[1]);
        }
        catch (Exception ex) when (ex is InvalidOperationException or NullReferenceException or FormatException or OverflowException)
        {
            throw new WeightFileException(path, name, "the header entry is not {\"dtype\": ..., \"shape\": [...], \"data_offsets\": [begin, end]}.", ex);
        }
    }

    private static string TypeName(ScalarType type, string tensor) =>
        Types.FirstOrDefault(p => p.Value == type).Key
        ?? throw new NotSupportedException($"Tensor '{tensor}' has type {type}, which safetensors files written here do not support.");
}
