using Microsoft.ML.Data;

namespace Microsoft.ML.DeepExtensions.Vision.Data;

/// <summary>
/// The cursor of a data view whose rows are held in memory and addressed by index (<see cref="IdxDataView"/>, the
/// detection data view): it walks the rows in order, or in a random permutation when the caller asks for shuffling,
/// checks the columns a getter is asked for, and leaves to the view only how to read a column of row
/// <see cref="Row"/>.
/// </summary>
internal abstract class InMemoryRowCursor : DataViewRowCursor
{
    private readonly bool[] _active;
    private readonly int[]? _order;
    private readonly int _rowCount;
    private readonly string _viewName;
    private long _position = -1;
    private int _row = -1;

    /// <param name="schema">The view's schema.</param>
    /// <param name="rowCount">The view's number of rows.</param>
    /// <param name="columnsNeeded">The columns the caller will read.</param>
    /// <param name="random">Shuffles the rows when given.</param>
    /// <param name="viewName">What the view is, for messages ("IDX data view").</param>
    protected InMemoryRowCursor(DataViewSchema schema, int rowCount, IEnumerable<DataViewSchema.Column> columnsNeeded, Random? random, string viewName)
    {
        Schema = schema;
        _rowCount = rowCount;
        _viewName = viewName;
        _active = new bool[schema.Count];
        foreach (var column in columnsNeeded)
            _active[column.Index] = true;
        if (random is not null)
        {
            _order = Enumerable.Range(0, rowCount).ToArray();
            random.Shuffle(_order);
        }
    }

    public override DataViewSchema Schema { get; }

    public override long Position => _position;

    public override long Batch => 0;

    /// <summary>The index of the current row in the view.</summary>
    /// <exception cref="InvalidOperationException">The cursor is not on a row.</exception>
    protected int Row => _row >= 0 ? _row
        : throw new InvalidOperationException("The cursor is not on a row: call MoveNext first and read only while it returns true.");

    public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

    public override bool MoveNext()
    {
        if (_position + 1 >= _rowCount)
        {
            _position = _rowCount;
            _row = -1;
            return false;
        }
        _position++;
        _row = _order is null ? (int)_position : _order[_position];
        return true;
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId value) => value = new DataViewRowId((ulong)Row, 0);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (column.Index < 0 || column.Index >= _active.Length || Schema[column.Index].Name != column.Name)
            throw new ArgumentOutOfRangeException(nameof(column), $"Column '{column.Name}' does not belong to this {_viewName}.");
        if (!_active[column.Index])
            throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor; ask for it in columnsNeeded.");
        return MakeGetter(column) as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"Invalid TValue in GetGetter: '{typeof(TValue)}', expected type: '{column.Type.RawType}'.");
    }

    /// <summary>A <c>ValueGetter</c> of <paramref name="column"/>'s raw type that reads row <see cref="Row"/>.</summary>
    protected abstract Delegate MakeGetter(DataViewSchema.Column column);
}
