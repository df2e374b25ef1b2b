using Microsoft.ML.Data;

namespace Microsoft.ML.DeepExtensions.Scoring;

/// <summary>
/// The training label's key values (the class names), kept so that <c>PredictedLabel</c> carries
/// the same <c>KeyValues</c> annotation as the label and <c>MapKeyToValue</c> restores the
/// original labels, also after model.zip is loaded.
/// </summary>
internal sealed class KeyValues
{
    private readonly Action<DataViewSchema.Annotations.Builder, string> _addTo;
    private readonly Action<BinaryWriter> _write;

    private KeyValues(DataViewType itemType, string[] display, Action<DataViewSchema.Annotations.Builder, string> addTo, Action<BinaryWriter> write)
    {
        ItemType = itemType;
        Display = display;
        _addTo = addTo;
        _write = write;
    }

    public DataViewType ItemType { get; }

    /// <summary>The values as text, used for the <c>SlotNames</c> of the multiclass <c>Score</c> column.</summary>
    public string[] Display { get; }

    public int Count => Display.Length;

    /// <summary>Adds the values as an annotation named <paramref name="name"/>.</summary>
    public void AddTo(DataViewSchema.Annotations.Builder builder, string name) => _addTo(builder, name);

    /// <summary>Reads the <c>KeyValues</c> annotation of a key column, or makes "0", "1", ... when it has none.</summary>
    public static KeyValues FromColumn(DataViewSchema.Column column, int count)
    {
        var annotation = column.Annotations.Schema.GetColumnOrNull(AnnotationNames.KeyValues);
        if (annotation is { Type: VectorDataViewType { ItemType: var itemType } } && ((VectorDataViewType)annotation.Value.Type).Size == count)
        {
            if (itemType is TextDataViewType)
                return Text(Read<ReadOnlyMemory<char>>(column.Annotations, annotation.Value).Select(v => v.ToString()).ToArray());
            if (itemType == NumberDataViewType.Single)
                return Numbers(Read<float>(column.Annotations, annotation.Value));
            if (itemType == NumberDataViewType.Double)
                return Numbers(Read<double>(column.Annotations, annotation.Value));
            if (itemType == NumberDataViewType.Int32)
                return Numbers(Read<int>(column.Annotations, annotation.Value));
            if (itemType == NumberDataViewType.Int64)
                return Numbers(Read<long>(column.Annotations, annotation.Value));
            if (itemType == NumberDataViewType.UInt32)
                return Numbers(Read<uint>(column.Annotations, annotation.Value));
            if (itemType == BooleanDataViewType.Instance)
                return Numbers(Read<bool>(column.Annotations, annotation.Value));
        }
        return Text(Enumerable.Range(0, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
    }

    private static T[] Read<T>(DataViewSchema.Annotations annotations, DataViewSchema.Column column)
    {
        VBuffer<T> values = default;
        annotations.GetValue(column.Name, ref values);
        return values.DenseValues().ToArray();
    }

    public static KeyValues Text(string[] values) => new(
        TextDataViewType.Instance,
        values,
        (builder, name) => AddVector(builder, name, TextDataViewType.Instance, values.Select(v => v.AsMemory()).ToArray()),
        writer => { writer.Write((byte)0); WriteArray(writer, values, (w, v) => w.Write(v)); });

    private static KeyValues Numbers<T>(T[] values)
    {
        var (type, tag) = Describe<T>();
        var display = values.Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "").ToArray();
        return new KeyValues(type, display, (builder, name) => AddVector(builder, name, type, values), writer =>
        {
            writer.Write(tag);
            WriteArray(writer, display, (w, v) => w.Write(v));
        });
    }

    private static (PrimitiveDataViewType Type, byte Tag) Describe<T>()
    {
        if (typeof(T) == typeof(float)) return (NumberDataViewType.Single, 1);
        if (typeof(T) == typeof(double)) return (NumberDataViewType.Double, 2);
        if (typeof(T) == typeof(int)) return (NumberDataViewType.Int32, 3);
        if (typeof(T) == typeof(long)) return (NumberDataViewType.Int64, 4);
        if (typeof(T) == typeof(uint)) return (NumberDataViewType.UInt32, 5);
        if (typeof(T) == typeof(bool)) return (BooleanDataViewType.Instance, 6);
        throw new NotSupportedException($"Key values of type {typeof(T).Name} are not supported.");
    }

    private static void AddVector<T>(DataViewSchema.Annotations.Builder builder, string name, PrimitiveDataViewType itemType, T[] values)
    {
        var buffer = new VBuffer<T>(values.Length, values);
        builder.Add(name, new VectorDataViewType(itemType, values.Length), (ref VBuffer<T> dst) => buffer.CopyTo(ref dst));
    }

    public void Write(BinaryWriter writer) => _write(writer);

    public static KeyValues Read(BinaryReader reader)
    {
        byte tag = reader.ReadByte();
        int count = reader.ReadInt32();
        if (count is < 0 or > 10_000_000)
            throw new InvalidDataException($"Corrupt key values: count {count}.");
        var text = new string[count];
        for (int i = 0; i < count; i++)
            text[i] = reader.ReadString();
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        return tag switch
        {
            0 => Text(text),
            1 => Numbers(text.Select(t => float.Parse(t, culture)).ToArray()),
            2 => Numbers(text.Select(t => double.Parse(t, culture)).ToArray()),
            3 => Numbers(text.Select(t => int.Parse(t, culture)).ToArray()),
            4 => Numbers(text.Select(t => long.Parse(t, culture)).ToArray()),
            5 => Numbers(text.Select(t => uint.Parse(t, culture)).ToArray()),
            6 => Numbers(text.Select(bool.Parse).ToArray()),
            _ => throw new InvalidDataException($"Corrupt key values: unknown type tag {tag}."),
        };
    }

    private static void WriteArray(BinaryWriter writer, string[] values, Action<BinaryWriter, string> write)
    {
        writer.Write(values.Length);
        foreach (var v in values)
            write(writer, v);
    }
}

/// <summary>Annotation names ML.NET's scorers use (ML.NET keeps its constants internal).</summary>
internal static class AnnotationNames
{
    public const string KeyValues = "KeyValues";
    public const string SlotNames = "SlotNames";
    public const string ScoreColumnKind = "ScoreColumnKind";
    public const string ScoreValueKind = "ScoreValueKind";
    public const string IsNormalized = "IsNormalized";
    public const string TrainingLabelValues = "TrainingLabelValues";
}
