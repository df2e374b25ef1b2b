using System.Buffers.Binary;
using System.Text;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Weights;

/// <summary>
/// Writes the <c>data.pkl</c> of a <c>torch.save</c> checkpoint (pickle protocol 2, as PyTorch writes it): an
/// <c>OrderedDict</c> of tensors, each rebuilt by <c>torch._utils._rebuild_tensor_v2</c> from its own storage
/// <c>data/{index}</c>, contiguous, at offset 0.
/// </summary>
internal static class TorchPickleWriter
{
    /// <param name="output">The stream of <c>data.pkl</c>.</param>
    /// <param name="tensors">Names and tensors in order; tensor i is storage key <c>i</c>.</param>
    public static void Write(Stream output, IReadOnlyList<(string Name, Tensor Tensor)> tensors)
    {
        using var writer = new BinaryWriter(output, Encoding.UTF8, leaveOpen: true);
        writer.Write((byte)0x80); writer.Write((byte)2); // PROTO 2
        Global(writer, "collections", "OrderedDict");
        writer.Write((byte)')'); writer.Write((byte)'R'); // OrderedDict()
        writer.Write((byte)'(');
        for (int i = 0; i < tensors.Count; i++)
        {
            var (name, tensor) = tensors[i];
            String(writer, name);
            Global(writer, "torch._utils", "_rebuild_tensor_v2");
            writer.Write((byte)'(');
            writer.Write((byte)'(');
            String(writer, "storage");
            Global(writer, "torch", StorageName(tensor.dtype, name));
            String(writer, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            String(writer, "cpu");
            Integer(writer, tensor.numel());
            writer.Write((byte)'t');
            writer.Write((byte)'Q'); // BINPERSID
            Integer(writer, 0); // storage offset
            Tuple(writer, tensor.shape);
            Tuple(writer, ContiguousStrides(tensor.shape));
            writer.Write((byte)0x89); // requires_grad = False
            Global(writer, "collections", "OrderedDict");
            writer.Write((byte)')'); writer.Write((byte)'R'); // backward hooks: OrderedDict()
            writer.Write((byte)'t');
            writer.Write((byte)'R');
        }
        writer.Write((byte)'u'); // SETITEMS
        writer.Write((byte)'.'); // STOP
    }

    /// <summary>The <c>torch.*Storage</c> class of a tensor type.</summary>
    internal static string StorageName(ScalarType type, string tensor) => type switch
    {
        ScalarType.Float32 => "FloatStorage",
        ScalarType.Float64 => "DoubleStorage",
        ScalarType.Float16 => "HalfStorage",
        ScalarType.BFloat16 => "BFloat16Storage",
        ScalarType.Int64 => "LongStorage",
        ScalarType.Int32 => "IntStorage",
        ScalarType.Int16 => "ShortStorage",
        ScalarType.Int8 => "CharStorage",
        ScalarType.Byte => "ByteStorage",
        ScalarType.Bool => "BoolStorage",
        _ => throw new NotSupportedException($"Tensor '{tensor}' has type {type}, which torch.save files written here do not support."),
    };

    private static long[] ContiguousStrides(long[] shape)
    {
        var strides = new long[shape.Length];
        long stride = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= Math.Max(shape[i], 1);
        }
        return strides;
    }

    private static void Global(BinaryWriter writer, string module, string name)
    {
        writer.Write((byte)'c');
        writer.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));
    }

    private static void String(BinaryWriter writer, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        writer.Write((byte)'X'); // BINUNICODE
        writer.Write((uint)bytes.Length);
        writer.Write(bytes);
    }

    private static void Integer(BinaryWriter writer, long value)
    {
        if (value is >= int.MinValue and <= int.MaxValue)
        {
            writer.Write((byte)'J'); // BININT
            writer.Write((int)value);
            return;
        }
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        writer.Write((byte)0x8a); // LONG1
        writer.Write((byte)8);
        writer.Write(bytes);
    }

    private static void Tuple(BinaryWriter writer, long[] values)
    {
        if (values.Length == 0)
        {
            writer.Write((byte)')');
            return;
        }
        writer.Write((byte)'(');
        foreach (var value in values)
            Integer(writer, value);
        writer.Write((byte)'t');
    }
}
