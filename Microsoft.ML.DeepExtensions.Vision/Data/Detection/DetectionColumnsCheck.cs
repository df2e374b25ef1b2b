using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Scoring;

namespace Microsoft.ML.DeepExtensions.Vision.Data.Detection;

/// <summary>
/// Checks ground truth that users hand in as an <see cref="IDataView"/> in the object-detection columns (a
/// <c>Label</c> vector of keys, a <c>Box</c> vector of x0 y0 x1 y1 per label, optionally a Boolean crowd vector),
/// for trainers and evaluators: the column types, then row by row the lengths and every box, with the row, the
/// column and the rule in each message. Boxes follow the loaders' rules: finite, positive size, inside the image
/// within <see cref="DetectionDataset.BoxTolerance"/> pixels (and then clipped).
/// </summary>
public static class DetectionColumnsCheck
{
    /// <summary>
    /// Checks the ground-truth columns' types and returns the class names: the label keys' <c>KeyValues</c>, or
    /// "1".."K" when the keys have none.
    /// </summary>
    /// <param name="schema">The data's schema.</param>
    /// <param name="labelColumnName">A variable-length vector of <c>UInt32</c> keys (MapValueToKey's output). Defaults to <c>Label</c>.</param>
    /// <param name="boxColumnName">A vector of Single. Defaults to <c>Box</c>.</param>
    /// <param name="crowdColumnName">A vector of Boolean, or null for none. Defaults to null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (ML.NET's "Schema mismatch" wording).</exception>
    public static IReadOnlyList<string> CheckSchema(DataViewSchema schema, string labelColumnName = DetectionDataView.LabelColumnName,
        string boxColumnName = DetectionDataView.BoxColumnName, string? crowdColumnName = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var label = Find(schema, labelColumnName, "Label");
        var box = Find(schema, boxColumnName, "Bounding box");
        if (label.Type is not VectorDataViewType { ItemType: KeyDataViewType { RawType: var raw } key } || raw != typeof(uint))
            throw Mismatch(label, "a vector of UInt32 keys (map class names to keys with MapValueToKey)");
        if (box.Type is not VectorDataViewType { ItemType: var boxItem } || boxItem != NumberDataViewType.Single)
            throw Mismatch(box, "a vector of Single (x0, y0, x1, y1 per object)");
        if (crowdColumnName is not null)
        {
            var crowd = Find(schema, crowdColumnName, "Crowd");
            if (crowd.Type is not VectorDataViewType { ItemType: BooleanDataViewType })
                throw Mismatch(crowd, "a vector of Boolean (one per object)");
        }
        int count = checked((int)key.Count);
        if (label.Annotations.Schema.GetColumnOrNull(AnnotationNames.KeyValues) is { Type: VectorDataViewType { ItemType: TextDataViewType, Size: var size } } && size == count)
        {
            VBuffer<ReadOnlyMemory<char>> names = default;
            label.GetKeyValues(ref names);
            return names.DenseValues().Select(n => n.ToString()).ToArray();
        }
        return Enumerable.Range(1, count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>
    /// Checks one row's ground truth and returns its objects (class index = key - 1, boxes clipped to the image
    /// within the tolerance).
    /// </summary>
    /// <param name="row">The row's position, for messages.</param>
    /// <param name="labels">The row's label keys (1-based; 0 is ML.NET's missing key).</param>
    /// <param name="boxes">The row's boxes, 4 values per label.</param>
    /// <param name="crowd">The row's crowd flags, one per label, or empty for none.</param>
    /// <param name="classCount">The number of classes (the key type's count).</param>
    /// <param name="imageWidth">The image's width in pixels.</param>
    /// <param name="imageHeight">The image's height in pixels.</param>
    /// <param name="labelColumnName">The label column's name, for messages. Defaults to <c>Label</c>.</param>
    /// <param name="boxColumnName">The box column's name, for messages. Defaults to <c>Box</c>.</param>
    /// <exception cref="InvalidDataException">Lengths disagree, a key is missing or beyond the classes, or a box breaks a rule; the message names the row and column.</exception>
    public static DetectionObject[] CheckRow(long row, ReadOnlySpan<uint> labels, ReadOnlySpan<float> boxes, ReadOnlySpan<bool> crowd, int classCount,
        int imageWidth, int imageHeight, string labelColumnName = DetectionDataView.LabelColumnName, string boxColumnName = DetectionDataView.BoxColumnName)
    {
        if (boxes.Length != 4 * labels.Length)
            throw new InvalidDataException($"Row {row}: column '{boxColumnName}' holds {boxes.Length} values for {labels.Length} labels in '{labelColumnName}'; it needs 4 (x0, y0, x1, y1) per label.");
        if (crowd.Length != 0 && crowd.Length != labels.Length)
            throw new InvalidDataException($"Row {row}: the crowd column holds {crowd.Length} flags for {labels.Length} labels in '{labelColumnName}'; it needs one per label.");
        var objects = new DetectionObject[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] == 0 || labels[i] > classCount)
                throw new InvalidDataException($"Row {row}: label {i} of column '{labelColumnName}' is key {labels[i]}, outside 1..{classCount}{(labels[i] == 0 ? " (0 is a missing value: a class name the key mapping did not know)" : "")}.");
            var (x0, y0, x1, y1) = DetectionBoxRules.Clip(boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3], imageWidth, imageHeight,
                $"Row {row}: box {i} of column '{boxColumnName}'");
            objects[i] = new DetectionObject((int)labels[i] - 1, x0, y0, x1, y1, crowd.Length != 0 && crowd[i]);
        }
        return objects;
    }

    private static DataViewSchema.Column Find(DataViewSchema schema, string name, string role)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(name, $"{role} column '{name}' not found in the data. Available columns: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name))}.");
    }

    private static ArgumentOutOfRangeException Mismatch(DataViewSchema.Column column, string expected) =>
        new(column.Name, $"Schema mismatch for column '{column.Name}': expected {expected}, got {column.Type}.");
}
