using Microsoft.ML;
using Microsoft.ML.Data;

namespace DeepExtensions.Service.Scoring;

/// <summary>
/// The one input row a <see cref="ScoringEngine"/> feeds its pipeline: a value per column of the served
/// input schema, set for each request, as ML.NET's <c>PredictionEngine</c> feeds the object it is given.
/// Columns a request does not set hold a missing value (NaN, empty text, an empty image).
/// </summary>
internal sealed class RequestRow : DataViewRow
{
    private readonly object?[] _values;
    private readonly object?[] _missing;
    private long _position = -1;

    public RequestRow(DataViewSchema schema)
    {
        Schema = schema;
        _missing = schema.Select(c => Missing(c.Type)).ToArray();
        _values = (object?[])_missing.Clone();
    }

    public override DataViewSchema Schema { get; }

    public override long Position => _position;

    public override long Batch => 0;

    /// <summary>Sets column <paramref name="index"/>; the value's type must be the column's raw type.</summary>
    public void Set(int index, object? value) => _values[index] = value;

    /// <summary>Starts the next request: every column missing again, and a new position so pipelines recompute.</summary>
    public void Next()
    {
        Array.Copy(_missing, _values, _values.Length);
        _position++;
    }

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (column.Index >= _values.Length || Schema[column.Index].Name != column.Name)
            throw new ArgumentOutOfRangeException(nameof(column), $"Column '{column.Name}' is not a column of the request row.");
        if (typeof(TValue) != column.Type.RawType)
            throw new InvalidOperationException($"Column '{column.Name}' holds {column.Type.RawType.Name}, not {typeof(TValue).Name}.");
        int index = column.Index;
        return (ref TValue value) => value = (TValue)_values[index]!;
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

    public override bool IsColumnActive(DataViewSchema.Column column) => true;

    private static object? Missing(DataViewType type) => type switch
    {
        TextDataViewType => ReadOnlyMemory<char>.Empty,
        _ when type == NumberDataViewType.Single => float.NaN,
        _ when type == NumberDataViewType.Double => double.NaN,
        VectorDataViewType { ItemType: var item } vector when item == NumberDataViewType.Single =>
            new VBuffer<float>(vector.Size, 0, Array.Empty<float>(), Array.Empty<int>()),
        VectorDataViewType { ItemType: TextDataViewType } vector =>
            new VBuffer<ReadOnlyMemory<char>>(vector.Size, 0, Array.Empty<ReadOnlyMemory<char>>(), Array.Empty<int>()),
        _ when type.RawType.IsValueType => Activator.CreateInstance(type.RawType),
        _ => null, // an image: none
    };
}
