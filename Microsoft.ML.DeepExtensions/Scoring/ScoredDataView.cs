using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Data;

namespace Microsoft.ML.DeepExtensions.Scoring;

/// <summary>
/// The data view <see cref="NetworkPredictionTransformer.Transform"/> returns: the input columns
/// plus the prediction columns, scored in batches.
/// </summary>
/// <remarks>
/// ML.NET cursors hand out one row at a time, while a network is fast only on batches. The cursor
/// therefore walks the input twice in lockstep: a look-ahead cursor that reads just the feature
/// column, a batch at a time, and scores it; and the main cursor that serves the input columns
/// the consumer asked for. Only the features are read twice, and only when the consumer also asks
/// for them. Row order is the input's (such a view cannot shuffle).
/// </remarks>
internal sealed class ScoredDataView : IDataView
{
    private readonly IDataView _input;
    private readonly NetworkScorer _scorer;
    private readonly PredictionColumns _predictions;
    private readonly string _featureColumn;
    private readonly int _batchSize;

    public ScoredDataView(IDataView input, NetworkScorer scorer, PredictionColumns predictions, string featureColumn, int batchSize)
    {
        _input = input;
        _scorer = scorer;
        _predictions = predictions;
        _featureColumn = featureColumn;
        _batchSize = batchSize;
        Schema = predictions.Append(input.Schema);
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.Select(c => c.Index).ToHashSet();
        int inputCount = _input.Schema.Count;
        var inputColumns = needed.Where(i => i < inputCount).Select(i => _input.Schema[i]).ToArray();
        bool scoring = needed.Any(i => i >= inputCount);
        var main = _input.GetRowCursor(inputColumns);
        if (!scoring)
            return new Cursor(this, main, null, needed);
        var features = _scorer.BindFeatures(_input.Schema, _featureColumn);
        var lookAhead = _input.GetRowCursor(new[] { _input.Schema[_featureColumn] });
        return new Cursor(this, main, new BatchReader(lookAhead, features, _scorer, _batchSize), needed);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    /// <summary>Reads and scores the look-ahead cursor a batch at a time.</summary>
    private sealed class BatchReader : IDisposable
    {
        private readonly DataViewRowCursor _cursor;
        private readonly RowReader _read;
        private readonly NetworkScorer _scorer;
        private readonly float[] _features;
        private readonly float[] _scores;
        private readonly int _batchSize;
        private int _rows;
        private int _index = -1;

        public BatchReader(DataViewRowCursor cursor, TensorColumn column, NetworkScorer scorer, int batchSize)
        {
            _cursor = cursor;
            _read = column.CreateReader(cursor);
            _scorer = scorer;
            _batchSize = batchSize;
            _features = new float[batchSize * scorer.InputSize];
            _scores = new float[batchSize * scorer.OutputSize];
        }

        /// <summary>Moves to the next row's scores; false at the end of the look-ahead cursor.</summary>
        public bool MoveNext()
        {
            if (++_index < _rows)
                return true;
            _rows = 0;
            _index = 0;
            while (_rows < _batchSize && _cursor.MoveNext())
            {
                // Rows with missing values still get a (NaN) prediction, as in ML.NET's scorers.
                _read(_features.AsSpan(_rows * _scorer.InputSize, _scorer.InputSize));
                _rows++;
            }
            _scorer.Score(_features, _rows, _scores);
            return _rows > 0;
        }

        public ReadOnlyMemory<float> Current => _scores.AsMemory(_index * _scorer.OutputSize, _scorer.OutputSize);

        public void Dispose() => _cursor.Dispose();
    }

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly ScoredDataView _parent;
        private readonly DataViewRowCursor _main;
        private readonly BatchReader? _batches;
        private readonly HashSet<int> _active;
        private long _position = -1;

        public Cursor(ScoredDataView parent, DataViewRowCursor main, BatchReader? batches, HashSet<int> active)
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
            int inputCount = _parent._input.Schema.Count;
            if (column.Index < inputCount)
                return _main.GetGetter<TValue>(_main.Schema[column.Index]);
            var getter = _parent._predictions.CreateGetter(column.Name, () => _batches!.Current);
            return getter as ValueGetter<TValue>
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
