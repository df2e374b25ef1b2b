using Microsoft.ML.Data;

namespace Microsoft.ML.DeepExtensions.Scoring;

/// <summary>
/// A lazy data view that appends columns computed a batch of rows at a time by a <see cref="RowBatch"/>:
/// what <c>Transform</c> of a network scorer or an object detector returns.
/// </summary>
/// <remarks>
/// ML.NET cursors hand out one row at a time, while a network is fast only on batches. The cursor
/// therefore walks the input twice in lockstep: a look-ahead cursor that reads just the columns the
/// computation needs, a batch at a time, and computes it; and the main cursor that serves the input
/// columns the consumer asked for. Only the computation's inputs are read twice, and only when the
/// consumer also asks for them. When no appended column is requested nothing is computed. Row order is
/// the input's (such a view cannot shuffle).
/// </remarks>
internal sealed class BatchedDataView : IDataView
{
    private readonly IDataView _input;
    private readonly string[] _readColumns;
    private readonly Func<DataViewRow, int, RowBatch> _createBatch;
    private readonly int _batchSize;

    /// <param name="input">The data to transform.</param>
    /// <param name="schema">The input's schema followed by the appended columns.</param>
    /// <param name="readColumns">The input columns the computation reads.</param>
    /// <param name="createBatch">Binds a computation to a row with the given capacity.</param>
    /// <param name="batchSize">Rows per computed batch.</param>
    public BatchedDataView(IDataView input, DataViewSchema schema, IReadOnlyList<string> readColumns, Func<DataViewRow, int, RowBatch> createBatch, int batchSize)
    {
        if (batchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"The batch size must be positive, got {batchSize}.");
        _input = input;
        _readColumns = readColumns.ToArray();
        _createBatch = createBatch;
        _batchSize = batchSize;
        Schema = schema;
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.Select(c => c.Index).ToHashSet();
        int inputCount = _input.Schema.Count;
        var inputColumns = needed.Where(i => i < inputCount).Select(i => _input.Schema[i]).ToArray();
        bool computing = needed.Any(i => i >= inputCount);
        var main = _input.GetRowCursor(inputColumns);
        if (!computing)
            return new Cursor(this, main, null, needed);
        var lookAhead = _input.GetRowCursor(_readColumns.Select(name => _input.Schema[name]));
        try
        {
            return new Cursor(this, main, new BatchReader(lookAhead, _createBatch(lookAhead, _batchSize)), needed);
        }
        catch
        {
            lookAhead.Dispose();
            main.Dispose();
            throw;
        }
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    /// <summary>Reads the look-ahead cursor a batch at a time and computes each batch.</summary>
    private sealed class BatchReader : IDisposable
    {
        private readonly DataViewRowCursor _cursor;
        private int _rows;
        private int _index = -1;

        public BatchReader(DataViewRowCursor cursor, RowBatch batch)
        {
            _cursor = cursor;
            Batch = batch;
        }

        public RowBatch Batch { get; }

        /// <summary>Moves to the next row's outputs; false at the end of the look-ahead cursor.</summary>
        public bool MoveNext()
        {
            if (++_index < _rows)
            {
                Batch.Current = _index;
                return true;
            }
            _rows = 0;
            _index = 0;
            while (_rows < Batch.Capacity && _cursor.MoveNext())
                Batch.Read(_rows++);
            if (_rows == 0)
                return false;
            Batch.Compute(_rows);
            Batch.Current = 0;
            return true;
        }

        public void Dispose()
        {
            Batch.Dispose();
            _cursor.Dispose();
        }
    }

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly BatchedDataView _parent;
        private readonly DataViewRowCursor _main;
        private readonly BatchReader? _batches;
        private readonly HashSet<int> _active;
        private long _position = -1;

        public Cursor(BatchedDataView parent, DataViewRowCursor main, BatchReader? batches, HashSet<int> active)
        {
            _parent = parent;
            _main = main;
            _batches = batches;
            _active = active;
        }

        public override DataViewSchema Schema => _parent.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (!_main.MoveNext())
                return false;
            if (_batches is not null && !_batches.MoveNext())
                throw new InvalidOperationException("The input data returned fewer rows on a second pass than on the first; it must return the same rows every time it is read.");
            _position++;
            return true;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!IsColumnActive(column))
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was created.");
            if (column.Index < _parent._input.Schema.Count)
                return _main.GetGetter<TValue>(_main.Schema[column.Index]);
            return _batches!.Batch.CreateGetter(Schema[column.Index]) as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Invalid TValue in GetGetter: '{typeof(TValue)}', expected type: '{column.Type.RawType}'.");
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => _main.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _main.Dispose();
                _batches?.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
