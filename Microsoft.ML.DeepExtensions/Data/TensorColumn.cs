using Microsoft.ML.Data;

namespace Microsoft.ML.DeepExtensions.Data;

/// <summary>
/// An <see cref="IDataView"/> column read as one float tensor per row: a <see cref="float"/>
/// or <see cref="double"/> scalar, or a known-size vector of them, or any other column type that a
/// registered <see cref="TensorColumnAdapter"/> converts (the Vision package adds images).
/// <see cref="Shape"/> is the tensor shape of one row (a vector of 784 values can be read as 1×28×28).
/// </summary>
internal sealed class TensorColumn
{
    private static readonly List<TensorColumnAdapter> Adapters = new();
    private static bool _visionLoadTried;
    private readonly Func<DataViewRow, RowReader>? _createReader;

    private TensorColumn(string name, DataViewType itemType, int size, long[] shape, bool isVector, Func<DataViewRow, RowReader>? createReader = null)
    {
        Name = name;
        ItemType = itemType;
        Size = size;
        Shape = shape;
        IsVector = isVector;
        _createReader = createReader;
    }

    /// <summary>
    /// Lets columns of another type be read as tensors. Adapters are asked in registration order
    /// before the numeric rules; one that does not handle a column returns null.
    /// </summary>
    internal static void RegisterAdapter(TensorColumnAdapter adapter)
    {
        lock (Adapters)
        {
            if (!Adapters.Contains(adapter))
                Adapters.Add(adapter);
        }
    }

    /// <summary>True when some adapter reads columns of <paramref name="type"/> (schema checks before Fit).</summary>
    internal static bool IsAdaptedType(DataViewType type)
    {
        lock (Adapters)
            return Adapters.Any(a => a.Handles(type));
    }

    /// <summary>A column read by an adapter: <paramref name="createReader"/> fills one row of <paramref name="shape"/>.</summary>
    internal static TensorColumn Adapted(DataViewSchema.Column column, long[] shape, Func<DataViewRow, RowReader> createReader) =>
        new(column.Name, column.Type, checked((int)shape.Aggregate(1L, (a, b) => a * b)), shape, isVector: true, createReader);

    public string Name { get; }

    public DataViewType ItemType { get; }

    /// <summary>Values per row.</summary>
    public int Size { get; }

    /// <summary>Tensor shape of one row; its product is <see cref="Size"/>.</summary>
    public long[] Shape { get; }

    public bool IsVector { get; }

    /// <summary>
    /// Checks <paramref name="schema"/>'s column <paramref name="name"/> and describes it; throws
    /// ML.NET's "Schema mismatch" wording when it is missing or not numeric of known size.
    /// </summary>
    /// <param name="schema">The data's schema.</param>
    /// <param name="name">The column's name.</param>
    /// <param name="role">What the column is for, as error messages say it ("Feature", "Validation feature").</param>
    /// <param name="shape">Optional tensor shape of one row; its product must equal the column's size.</param>
    public static TensorColumn Bind(DataViewSchema schema, string name, string role, long[]? shape = null)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(name, $"{role} column '{name}' not found in the data. Available columns: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name))}.");
        var type = column.Type;
        TensorColumnAdapter[] adapters;
        lock (Adapters)
            adapters = Adapters.ToArray();
        foreach (var adapter in adapters)
        {
            if (adapter.Handles(type))
                return adapter.Bind(column, role, shape);
        }
        if (type.RawType != typeof(float) && type.RawType != typeof(double) && type is not VectorDataViewType && !_visionLoadTried)
        {
            // An image column in a fresh process that has not touched the Vision package yet.
            _visionLoadTried = true;
            Internals.KnownAssemblies.LoadVision();
            return Bind(schema, name, role, shape);
        }
        DataViewType itemType = type is VectorDataViewType vector ? vector.ItemType : type;
        if (itemType != NumberDataViewType.Single && itemType != NumberDataViewType.Double)
            throw SchemaMismatch(name, role, "Single or a known-size vector of Single", type);
        int size;
        if (type is VectorDataViewType vectorType)
        {
            if (!vectorType.IsKnownSize)
                throw SchemaMismatch(name, role, "a known-size vector of Single", type);
            size = vectorType.Size;
        }
        else
        {
            size = 1;
        }

        var rowShape = shape ?? new long[] { size };
        long product = rowShape.Aggregate(1L, (a, b) => a * b);
        if (rowShape.Any(d => d <= 0) || product != size)
            throw new ArgumentException($"{role} column '{name}' has {size} values per row, which does not fit the shape [{string.Join("x", rowShape)}] ({product} values).");
        return new TensorColumn(name, itemType, size, rowShape, type is VectorDataViewType);
    }

    internal static ArgumentOutOfRangeException SchemaMismatch(string name, string role, string expected, DataViewType actual) =>
        new(name, $"Schema mismatch for {role.ToLowerInvariant()} column '{name}': expected {expected}, got {actual}.");

    /// <summary>
    /// A reader that copies the current row's values into a span of <see cref="Size"/> floats and
    /// says whether they are all finite (rows with missing values are skipped in training).
    /// </summary>
    public RowReader CreateReader(DataViewRow row)
    {
        if (_createReader is not null)
            return _createReader(row);
        var column = row.Schema[Name];
        if (ItemType == NumberDataViewType.Single)
        {
            if (IsVector)
            {
                var getter = row.GetGetter<VBuffer<float>>(column);
                VBuffer<float> buffer = default;
                return destination =>
                {
                    getter(ref buffer);
                    destination.Clear();
                    var values = buffer.GetValues();
                    if (buffer.IsDense)
                        values.CopyTo(destination);
                    else
                    {
                        var indices = buffer.GetIndices();
                        for (int i = 0; i < indices.Length; i++)
                            destination[indices[i]] = values[i];
                    }
                    return AllFinite(destination);
                };
            }
            var scalar = row.GetGetter<float>(column);
            return destination =>
            {
                float value = 0;
                scalar(ref value);
                destination[0] = value;
                return float.IsFinite(value);
            };
        }

        if (IsVector)
        {
            var getter = row.GetGetter<VBuffer<double>>(column);
            VBuffer<double> buffer = default;
            return destination =>
            {
                getter(ref buffer);
                destination.Clear();
                var values = buffer.GetValues();
                if (buffer.IsDense)
                {
                    for (int i = 0; i < values.Length; i++)
                        destination[i] = (float)values[i];
                }
                else
                {
                    var indices = buffer.GetIndices();
                    for (int i = 0; i < indices.Length; i++)
                        destination[indices[i]] = (float)values[i];
                }
                return AllFinite(destination);
            };
        }
        var doubleScalar = row.GetGetter<double>(column);
        return destination =>
        {
            double value = 0;
            doubleScalar(ref value);
            destination[0] = (float)value;
            return double.IsFinite(value);
        };
    }

    private static bool AllFinite(Span<float> values)
    {
        foreach (var v in values)
        {
            if (!float.IsFinite(v))
                return false;
        }
        return true;
    }
}

/// <summary>Reads columns of a non-numeric type (e.g. images) as float tensors.</summary>
internal abstract class TensorColumnAdapter
{
    /// <summary>True when this adapter reads columns of <paramref name="type"/>.</summary>
    public abstract bool Handles(DataViewType type);

    /// <summary>
    /// Describes <paramref name="column"/> as a tensor column of <paramref name="shape"/> (or of the
    /// shape the column's type implies when null), throwing ML.NET's "Schema mismatch" wording when it cannot.
    /// </summary>
    public abstract TensorColumn Bind(DataViewSchema.Column column, string role, long[]? shape);
}

/// <summary>Copies the current row into <paramref name="destination"/>; false when a value is missing.</summary>
internal delegate bool RowReader(Span<float> destination);
