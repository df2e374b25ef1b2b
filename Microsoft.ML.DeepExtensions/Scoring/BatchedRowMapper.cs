using Microsoft.ML.Data;

namespace Microsoft.ML.DeepExtensions.Scoring;

/// <summary>
/// Row-at-a-time companion of <see cref="BatchedDataView"/> for <c>PredictionEngine</c> and other
/// <see cref="IRowToRowMapper"/> consumers: computes a row once (a batch of one), the first time one of
/// its appended columns is read at a new position.
/// </summary>
internal sealed class BatchedRowMapper : IRowToRowMapper
{
    private readonly string[] _readColumns;
    private readonly Func<DataViewRow, int, RowBatch> _createBatch;

    /// <param name="inputSchema">The schema of the rows to map.</param>
    /// <param name="outputSchema">The input schema followed by the appended columns.</param>
    /// <param name="readColumns">The input columns the computation reads.</param>
    /// <param name="createBatch">Binds a computation to a row with the given capacity (always 1 here).</param>
    public BatchedRowMapper(DataViewSchema inputSchema, DataViewSchema outputSchema, IReadOnlyList<string> readColumns, Func<DataViewRow, int, RowBatch> createBatch)
    {
        InputSchema = inputSchema;
        OutputSchema = outputSchema;
        _readColumns = readColumns.ToArray();
        _createBatch = createBatch;
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var columns = dependingColumns.ToArray();
        var inputs = columns.Where(c => c.Index < InputSchema.Count).Select(c => InputSchema[c.Index]);
        if (columns.Any(c => c.Index >= InputSchema.Count))
            inputs = inputs.Concat(_readColumns.Select(name => InputSchema[name]));
        return inputs.Distinct().ToArray();
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new Row(this, input, activeColumns.Select(c => c.Index).ToHashSet());

    private sealed class Row : DataViewRow
    {
        private readonly BatchedRowMapper _mapper;
        private readonly DataViewRow _input;
        private readonly HashSet<int> _active;
        private readonly RowBatch? _batch;
        private long _computedPosition = -1;

        public Row(BatchedRowMapper mapper, DataViewRow input, HashSet<int> active)
        {
            _mapper = mapper;
            _input = input;
            _active = active;
            if (active.Any(i => i >= mapper.InputSchema.Count))
                _batch = mapper._createBatch(input, 1);
        }

        public override DataViewSchema Schema => _mapper.OutputSchema;

        public override long Position => _input.Position;

        public override long Batch => _input.Batch;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!IsColumnActive(column))
                throw new InvalidOperationException($"Column '{column.Name}' is not active.");
            if (column.Index < _mapper.InputSchema.Count)
                return _input.GetGetter<TValue>(_input.Schema[column.Index]);
            var getter = _batch!.CreateGetter(Schema[column.Index]) as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Invalid TValue in GetGetter: '{typeof(TValue)}', expected type: '{column.Type.RawType}'.");
            return (ref TValue value) =>
            {
                EnsureComputed();
                getter(ref value);
            };
        }

        private void EnsureComputed()
        {
            // PredictionEngine reuses one row whose position may stay at -1: compute on every read then.
            if (_computedPosition == _input.Position && _input.Position >= 0)
                return;
            _batch!.Read(0);
            _batch.Compute(1);
            _batch.Current = 0;
            _computedPosition = _input.Position;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                _batch?.Dispose();
            base.Dispose(disposing);
        }
    }
}
