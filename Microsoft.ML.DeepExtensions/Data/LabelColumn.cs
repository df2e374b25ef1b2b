using Microsoft.ML.Data;

namespace Microsoft.ML.DeepExtensions.Data;

/// <summary>
/// The label column as the losses want it: 0/1 floats for binary classification, class indices
/// (key value − 1) for multiclass classification, floats for regression. Rows whose label is
/// missing (NaN, or key 0) are skipped in training, as ML.NET's trainers do.
/// </summary>
internal sealed class LabelColumn
{
    private LabelColumn(string name, PredictionTask task, DataViewType type, int classCount)
    {
        Name = name;
        Task = task;
        Type = type;
        ClassCount = classCount;
    }

    public string Name { get; }

    public PredictionTask Task { get; }

    public DataViewType Type { get; }

    /// <summary>Number of classes: 2 for binary, the key count for multiclass, 1 for regression.</summary>
    public int ClassCount { get; }

    /// <summary>Checks the label column's type for <paramref name="task"/> with ML.NET's wording.</summary>
    public static LabelColumn Bind(DataViewSchema schema, string name, PredictionTask task)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(name, $"Label column '{name}' not found in the data. Available columns: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name))}.");
        var type = column.Type;
        switch (task)
        {
            case PredictionTask.BinaryClassification:
                if (type != BooleanDataViewType.Instance && type != NumberDataViewType.Single && type != NumberDataViewType.Double)
                    throw TensorColumn.SchemaMismatch(name, "Label", "Boolean, Single or Double", type);
                return new LabelColumn(name, task, type, 2);
            case PredictionTask.MulticlassClassification:
                if (type is not KeyDataViewType key)
                    throw new ArgumentOutOfRangeException(name, $"Schema mismatch for label column '{name}': expected Key, got {type}. Map it to keys first, e.g. mlContext.Transforms.Conversion.MapValueToKey(\"{name}\").");
                if (key.Count < 2 || key.Count > int.MaxValue)
                    throw new ArgumentOutOfRangeException(name, $"Label column '{name}' has {key.Count} classes; multiclass classification needs at least 2.");
                return new LabelColumn(name, task, type, (int)key.Count);
            case PredictionTask.Regression:
                if (type != NumberDataViewType.Single && type != NumberDataViewType.Double)
                    throw TensorColumn.SchemaMismatch(name, "Label", "Single or Double", type);
                return new LabelColumn(name, task, type, 1);
            default:
                throw new ArgumentOutOfRangeException(nameof(task), task, "Unknown prediction task.");
        }
    }

    /// <summary>A reader returning the current row's label as a float (class index for multiclass), or NaN when missing.</summary>
    public Func<float> CreateReader(DataViewRow row)
    {
        var column = row.Schema[Name];
        if (Type == BooleanDataViewType.Instance)
        {
            var getter = row.GetGetter<bool>(column);
            bool value = false;
            return () => { getter(ref value); return value ? 1f : 0f; };
        }
        if (Type is KeyDataViewType)
        {
            var getter = row.GetGetter<uint>(column);
            uint key = 0;
            return () => { getter(ref key); return key == 0 ? float.NaN : key - 1; };
        }
        if (Type == NumberDataViewType.Double)
        {
            var getter = row.GetGetter<double>(column);
            double value = 0;
            return Task == PredictionTask.BinaryClassification
                ? () => { getter(ref value); return double.IsNaN(value) ? float.NaN : value > 0 ? 1f : 0f; }
                : () => { getter(ref value); return (float)value; };
        }
        var single = row.GetGetter<float>(column);
        float f = 0;
        return Task == PredictionTask.BinaryClassification
            ? () => { single(ref f); return float.IsNaN(f) ? float.NaN : f > 0 ? 1f : 0f; }
            : () => { single(ref f); return f; };
    }
}
