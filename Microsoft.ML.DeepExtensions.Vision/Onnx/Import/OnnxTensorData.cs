using System.Runtime.InteropServices;
using global::Onnx;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Import;

/// <summary>
/// The contents of an ONNX <c>TensorProto</c> (an initializer or a <c>Constant</c>): its shape and its
/// float or integer values, read from <c>raw_data</c> or the typed fields, with errors naming the tensor.
/// </summary>
internal sealed class OnnxTensorData
{
    private readonly float[]? _floats;
    private readonly long[]? _ints;

    private OnnxTensorData(string name, long[] shape, float[]? floats, long[]? ints)
    {
        Name = name;
        Shape = shape;
        _floats = floats;
        _ints = ints;
    }

    public string Name { get; }

    public long[] Shape { get; }

    public bool IsFloat => _floats is not null;

    /// <summary>The values as floats; integers are converted.</summary>
    public float[] AsFloat(string user) => _floats ?? _ints!.Select(v => (float)v).ToArray();

    /// <summary>The values as integers; refuses float values.</summary>
    public long[] AsInt64(string user) => _ints
        ?? throw new OnnxFormatException($"{user}: tensor '{Name}' holds floats where integers are expected.");

    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>
    /// Reads <paramref name="tensor"/>. With <paramref name="allowMissingData"/>, a float tensor without any
    /// data reads as zeros (a graph saved without its weights, which come from elsewhere).
    /// </summary>
    public static OnnxTensorData Read(TensorProto tensor, string source, bool allowMissingData = false)
    {
        string name = tensor.Name;
        var shape = tensor.Dims.ToArray();
        if (shape.Any(d => d < 0))
            throw new OnnxFormatException($"{source}: tensor '{name}' has a negative dimension [{string.Join(", ", shape)}].");
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
            throw new OnnxFormatException($"{source}: tensor '{name}' stores its data in an external file, which is not supported; save the model with its weights inside.");
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var raw = tensor.RawData.Span;
        switch ((TensorProto.Types.DataType)tensor.DataType)
        {
            case TensorProto.Types.DataType.Float:
                float[] floats;
                if (!raw.IsEmpty)
                    floats = MemoryMarshal.Cast<byte, float>(raw).ToArray();
                else if (tensor.FloatData.Count == 0 && allowMissingData)
                    floats = new float[count];
                else
                    floats = tensor.FloatData.ToArray();
                if (!raw.IsEmpty && raw.Length != count * sizeof(float))
                    throw Mismatch(source, name, shape, raw.Length / (double)sizeof(float));
                if (floats.LongLength != count)
                    throw Mismatch(source, name, shape, floats.LongLength);
                return new OnnxTensorData(name, shape, floats, null);
            case TensorProto.Types.DataType.Double:
                var doubles = !raw.IsEmpty ? MemoryMarshal.Cast<byte, double>(raw).ToArray() : tensor.DoubleData.ToArray();
                if (doubles.LongLength != count)
                    throw Mismatch(source, name, shape, doubles.LongLength);
                return new OnnxTensorData(name, shape, doubles.Select(d => (float)d).ToArray(), null);
            case TensorProto.Types.DataType.Int64:
                var longs = !raw.IsEmpty ? MemoryMarshal.Cast<byte, long>(raw).ToArray() : tensor.Int64Data.ToArray();
                if (longs.LongLength != count)
                    throw Mismatch(source, name, shape, longs.LongLength);
                return new OnnxTensorData(name, shape, null, longs);
            case TensorProto.Types.DataType.Int32:
                var ints = !raw.IsEmpty ? MemoryMarshal.Cast<byte, int>(raw).ToArray() : tensor.Int32Data.ToArray();
                if (ints.LongLength != count)
                    throw Mismatch(source, name, shape, ints.LongLength);
                return new OnnxTensorData(name, shape, null, ints.Select(i => (long)i).ToArray());
            default:
                throw new OnnxFormatException($"{source}: tensor '{name}' has element type {(TensorProto.Types.DataType)tensor.DataType}; only float, double, int32 and int64 tensors are supported.");
        }
    }

    private static OnnxFormatException Mismatch(string source, string name, long[] shape, double values) =>
        new($"{source}: tensor '{name}' of shape [{string.Join(", ", shape)}] needs {shape.Aggregate(1L, (a, b) => a * b)} values but holds {values} (truncated or damaged file).");
}
