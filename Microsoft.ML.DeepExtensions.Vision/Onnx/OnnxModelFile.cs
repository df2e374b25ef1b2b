using Google.Protobuf;
using global::Onnx;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx;

/// <summary>Reads and writes ONNX <c>ModelProto</c> files with the generated protobuf classes, with errors that name the file.</summary>
internal static class OnnxModelFile
{
    /// <summary>Reads <paramref name="path"/>; a missing, truncated or non-ONNX file is refused naming it.</summary>
    public static ModelProto Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"ONNX file '{path}' does not exist.", path);
        return Parse(File.ReadAllBytes(path), $"ONNX file '{path}'");
    }

    /// <summary>Parses a serialized model; <paramref name="source"/> names it in messages.</summary>
    public static ModelProto Parse(byte[] bytes, string source)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxFormatException($"{source} is not a valid ONNX model (truncated or not ONNX): {e.Message}", e);
        }
        if (model.Graph is null || model.Graph.Node.Count == 0)
            throw new OnnxFormatException($"{source} is not a valid ONNX model: it has no graph nodes ({bytes.Length} bytes read).");
        return model;
    }

    /// <summary>The version of the default (<c>ai.onnx</c>) operator set the model imports.</summary>
    public static long DefaultOpset(ModelProto model) =>
        model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(1).Max();

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> (replacing it).</summary>
    public static void Write(ModelProto model, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
            Directory.CreateDirectory(directory);
        using var stream = File.Create(path);
        model.WriteTo(stream);
    }

    /// <summary>Writes a graph saved inside a model's own stream (e.g. <c>OnnxGraphModule.StructureWithoutWeights</c>): its length, then its bytes.</summary>
    public static void WriteEmbedded(BinaryWriter writer, byte[] bytes)
    {
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    /// <summary>Reads what <see cref="WriteEmbedded"/> wrote; <paramref name="source"/> names the graph in messages.</summary>
    /// <exception cref="InvalidDataException">The length is corrupt or the bytes are truncated.</exception>
    /// <exception cref="OnnxFormatException">The bytes are not an ONNX model.</exception>
    public static ModelProto ReadEmbedded(BinaryReader reader, string source)
    {
        int length = reader.ReadInt32();
        if (length is <= 0 or > 1 << 30)
            throw new InvalidDataException($"Corrupt model: {source} has length {length}.");
        var bytes = reader.ReadBytes(length);
        if (bytes.Length != length)
            throw new InvalidDataException($"Corrupt model: {source} is truncated.");
        return Parse(bytes, source);
    }
}
