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
            return new Cursor(this, main, new BatchReader(lookAhead, _createBatch, _batchSize), needed);
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

    /// <summary>
    /// Reads the look-ahead cursor a batch at a time and computes each batch. When the batch <see cref="RowBatch.RunsAhead"/>,
    /// two instances take turns: while one batch's <see cref="RowBatch.Run"/> goes on on a worker thread, the reading thread
    /// reads and prepares the next batch into the other, then finishes and serves the first. Reading (e.g. decoding images),
    /// preparing and finishing so overlap the model's run instead of adding to it.
    /// </summary>
    private sealed class BatchReader : IDisposable
    {
        private readonly DataViewRowCursor _cursor;
        private readonly RowBatch[] _batches;
        private int _served;
        private int _rows;
        private int _index = -1;
        private Task? _running;
        private int _runningBatch, _runningRows;

        public BatchReader(DataViewRowCursor cursor, Func<DataViewRowCursor, int, RowBatch> createBatch, int batchSize)
        {
            _cursor = cursor;
            var first = createBatch(cursor, batchSize);
            try
            {
                _batches = first.RunsAhead ? new[] { first, createBatch(cursor, batchSize) } : new[] { first };
            }
            catch
            {
                first.Dispose();
                throw;
            }
        }

        /// <summary>The batch instances: one, or two taking turns (see the class remarks).</summary>
        public IReadOnlyList<RowBatch> Batches => _batches;

        /// <summary>The instance whose rows are being served.</summary>
        public RowBatch Served => _batches[_served];

        /// <summary>Moves to the next row's outputs; false at the end of the look-ahead cursor.</summary>
        public bool MoveNext()
        {
            if (++_index < _rows)
            {
                Served.Current = _index;
                return true;
            }
            _rows = 0;
            _index = 0;
            return _batches.Length == 1 ? ComputeNext() : RunAheadNext();
        }

        private bool ComputeNext()
        {
            var batch = _batches[0];
            int rows = Fill(batch);
            if (rows == 0)
                return false;
            batch.Compute(rows);
            Serve(0, rows);
            return true;
        }

        private bool RunAheadNext()
        {
            if (_running is null)
            {
                // The first batch (or the end): nothing runs yet.
                int rows = Fill(_batches[0]);
                if (rows == 0)
                    return false;
                _batches[0].Prepare(rows);
                Start(0, rows);
            }
            int done = _runningBatch, doneRows = _runningRows;
            int next = 1 - done;
            // The batch served until now is free: read and prepare the next one into it while the other runs.
            int nextRows = Fill(_batches[next]);
            if (nextRows > 0)
                _batches[next].Prepare(nextRows);
            var running = _running!;
            _running = null;
            running.GetAwaiter().GetResult(); // rethrows the worker's exception as it was thrown
            if (nextRows > 0)
                Start(next, nextRows);
            _batches[done].Finish(doneRows);
            Serve(done, doneRows);
            return true;
        }

        private int Fill(RowBatch batch)
        {
            int rows = 0;
            while (rows < batch.Capacity && _cursor.MoveNext())
                batch.Read(rows++);
            return rows;
        }

        private void Start(int batch, int rows)
        {
            var instance = _batches[batch];
            _runningBatch = batch;
            _runningRows = rows;
            // A pool thread rather than a new thread per batch: native allocators (ONNX Runtime's, glibc's per-thread arenas)
            // then see the same few threads over a long run, so their memory settles instead of spreading over new arenas.
            // PreferFairness puts it on the pool's global queue: Task.Run from a pool thread (a service's request, a test)
            // queues locally, and a wait that comes before a worker took it runs the model inline on the reading thread,
            // with nothing run ahead.
            _running = Task.Factory.StartNew(() => instance.Run(rows), CancellationToken.None, TaskCreationOptions.PreferFairness, TaskScheduler.Default);
        }

        private void Serve(int batch, int rows)
        {
            _served = batch;
            _rows = rows;
            _index = 0;
            Served.Current = 0;
        }

        public void Dispose()
        {
            if (_running is { } running)
            {
                // The consumer stopped early: the batch running ahead must end before its buffers go; its outcome is not wanted.
                try
                {
                    running.GetAwaiter().GetResult();
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                }
            }
            foreach (var batch in _batches)
                batch.Dispose();
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
            var batches = _batches!;
            var getters = batches.Batches.Select(batch => batch.CreateGetter(Schema[column.Index]) as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Invalid TValue in GetGetter: '{typeof(TValue)}', expected type: '{column.Type.RawType}'.")).ToArray();
            if (getters.Length == 1)
                return getters[0];
            // Two instances take turns: serve from the one whose rows are current.
            var first = batches.Batches[0];
            ValueGetter<TValue> fromFirst = getters[0], fromSecond = getters[1];
            return (ref TValue value) => (batches.Served == first ? fromFirst : fromSecond)(ref value);
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
