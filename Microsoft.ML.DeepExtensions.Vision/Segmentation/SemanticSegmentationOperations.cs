using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Evaluation;

namespace Microsoft.ML.DeepExtensions.Vision.Segmentation;

/// <summary>Semantic segmentation operations on an <see cref="MLContext"/> (<c>mlContext.SemanticSegmentation()</c>).</summary>
public sealed class SemanticSegmentationOperations
{
    internal SemanticSegmentationOperations(MLContext mlContext) => MLContext = mlContext;

    public MLContext MLContext { get; }

    /// <summary>
    /// Pixel accuracy, mean IoU and per-class IoU (see <see cref="SemanticSegmentationMetrics"/>) of a segmenter's output, one
    /// row per image.
    /// </summary>
    /// <param name="data">Scored data: the label map and the class map on each row.</param>
    /// <param name="labelColumnName">True classes per pixel, row-major, as many as the class map: a vector of 0-based class
    /// indices (Byte, UInt16, UInt32, Int32 or Single, as label PNGs hold them) or of keys (key k = class k - 1; key 0 is ignored).
    /// Defaults to <c>Label</c>.</param>
    /// <param name="predictedClassMapColumnName">The class map (keys with the class names as <c>KeyValues</c>). Defaults to <c>PredictedClassMap</c>.</param>
    /// <param name="ignoreLabel">Label pixels of this value are not counted. Defaults to 255; null counts every pixel.</param>
    public SemanticSegmentationMetrics Evaluate(IDataView data, string labelColumnName = "Label",
        string predictedClassMapColumnName = SemanticSegmenter.DefaultClassMapColumnName, int? ignoreLabel = 255)
    {
        ArgumentNullException.ThrowIfNull(data);
        var label = data.Schema.GetColumnOrNull(labelColumnName)
            ?? throw new ArgumentOutOfRangeException(labelColumnName, $"Label column '{labelColumnName}' not found in the data. Available columns: {string.Join(", ", data.Schema.Where(c => !c.IsHidden).Select(c => c.Name))}.");
        var predicted = data.Schema.GetColumnOrNull(predictedClassMapColumnName)
            ?? throw new ArgumentOutOfRangeException(predictedClassMapColumnName, $"Class map column '{predictedClassMapColumnName}' not found in the data.");
        if (predicted.Type is not VectorDataViewType { ItemType: KeyDataViewType { RawType: var raw } key } || raw != typeof(uint))
            throw new ArgumentOutOfRangeException(predictedClassMapColumnName, $"Schema mismatch for column '{predictedClassMapColumnName}': expected a vector of UInt32 keys (a segmenter's class map), got {predicted.Type}.");
        var names = DataViewDetectionReader.Names(predicted, (int)key.Count)
            ?? Enumerable.Range(0, (int)key.Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var evaluator = new SemanticSegmentationEvaluator(names, ignoreLabel);
        var readLabels = LabelReader(label, ignoreLabel);
        using var cursor = data.GetRowCursor(new[] { label, predicted });
        var getPredicted = cursor.GetGetter<VBuffer<uint>>(predicted);
        var labels = readLabels(cursor);
        VBuffer<uint> keys = default;
        int[] predictedClasses = Array.Empty<int>();
        while (cursor.MoveNext())
        {
            getPredicted(ref keys);
            var values = keys.DenseValues().ToArray();
            if (predictedClasses.Length != values.Length)
                predictedClasses = new int[values.Length];
            for (int i = 0; i < values.Length; i++)
                predictedClasses[i] = (int)values[i] - 1;
            evaluator.Add(labels(), predictedClasses, $"Row {cursor.Position}");
        }
        return evaluator.Metrics();
    }

    /// <summary>A reader of the current row's labels as 0-based classes (keys: k - 1, with key 0 as the ignore label).</summary>
    private static Func<DataViewRowCursor, Func<int[]>> LabelReader(DataViewSchema.Column label, int? ignoreLabel)
    {
        Func<DataViewRowCursor, Func<int[]>> Numbers<T>(Func<T, int> convert) => cursor =>
        {
            var get = cursor.GetGetter<VBuffer<T>>(label);
            VBuffer<T> values = default;
            return () =>
            {
                get(ref values);
                return values.DenseValues().Select(convert).ToArray();
            };
        };
        return label.Type switch
        {
            VectorDataViewType { ItemType: KeyDataViewType { RawType: var raw } } when raw == typeof(uint) =>
                Numbers<uint>(k => k == 0 ? ignoreLabel ?? -1 : (int)k - 1),
            VectorDataViewType { ItemType: var item } when item == NumberDataViewType.Byte => Numbers<byte>(v => v),
            VectorDataViewType { ItemType: var item } when item == NumberDataViewType.UInt16 => Numbers<ushort>(v => v),
            VectorDataViewType { ItemType: var item } when item == NumberDataViewType.UInt32 => Numbers<uint>(v => (int)Math.Min(v, int.MaxValue)),
            VectorDataViewType { ItemType: var item } when item == NumberDataViewType.Int32 => Numbers<int>(v => v),
            VectorDataViewType { ItemType: var item } when item == NumberDataViewType.Single => Numbers<float>(v => (int)v),
            _ => throw new ArgumentOutOfRangeException(label.Name, $"Schema mismatch for label column '{label.Name}': expected a vector of class indices (Byte, UInt16, UInt32, Int32 or Single) or of keys, got {label.Type}."),
        };
    }
}
