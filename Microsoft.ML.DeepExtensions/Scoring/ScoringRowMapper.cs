using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Data;

namespace Microsoft.ML.DeepExtensions.Scoring;

/// <summary>
/// Row-at-a-time scoring for <c>PredictionEngine</c> and other <see cref="IRowToRowMapper"/>
/// consumers: scores a row once, the first time one of its prediction columns is read.
/// </summary>
internal sealed class ScoringRowMapper : IRowToRowMapper
{
    private readonly NetworkScorer _scorer;
    private readonly PredictionColumns _predictions;
    private readonly TensorColumn _features;

    public ScoringRowMapper(DataViewSchema inputSchema, NetworkScorer scorer, PredictionColumns predictions, string featureColumn)
    {
        InputSchema = inputSchema;
        _scorer = scorer;
        _predictions = predictions;
        _features = scorer.BindFeatures(inputSchema, featureColumn);
        OutputSchema = predictions.Append(inputSchema);
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var columns = dependingColumns.ToArray();
        var inputs = columns.Where(c => c.Index < InputSchema.Count).Select(c => InputSchema[c.Index]);
        if (columns.Any(c => c.Index >= InputSchema.Count))
            inputs = inputs.Append(InputSchema[_features.Name]);
        return inputs.Distinct().ToArray();
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new Row(this, input, activeColumns.Select(c => c.Index).ToHashSet());

    private sealed class Row : DataViewRow
    {
        private readonly ScoringRowMapper _mapper;
        private readonly DataViewRow _input;
        private readonly HashSet<int> _active;
        private readonly float[] _features;
        private readonly float[] _scores;
        private readonly RowReader? _read;
        private long _scoredPosition = -1;

        public Row(ScoringRowMapper mapper, DataViewRow input, HashSet<int> active)
        {
            _mapper = mapper;
            _input = input;
            _active = active;
            _features = new float[mapper._scorer.InputSize];
            _scores = new float[mapper._scorer.OutputSize];
            if (active.Any(i => i >= mapper.InputSchema.Count))
                _read = mapper._features.CreateReader(input);
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
            var getter = _mapper._predictions.CreateGetter(column.Name, CurrentScores);
            return getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Invalid TValue in GetGetter: '{typeof(TValue)}', expected type: '{column.Type.RawType}'.");
        }

        private ReadOnlyMemory<float> CurrentScores()
        {
            if (_scoredPosition != _input.Position || _input.Position < 0)
            {
                _read!(_features);
                _mapper._scorer.Score(_features, 1, _scores);
                _scoredPosition = _input.Position;
            }
            return _scores;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);
    }
}
