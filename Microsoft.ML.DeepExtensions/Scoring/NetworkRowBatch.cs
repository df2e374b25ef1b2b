using Microsoft.ML.DeepExtensions.Data;

namespace Microsoft.ML.DeepExtensions.Scoring;

/// <summary>A network's scoring over a batch of rows: feature vectors in, prediction columns out.</summary>
internal sealed class NetworkRowBatch : RowBatch
{
    private readonly NetworkScorer _scorer;
    private readonly PredictionColumns _predictions;
    private readonly RowReader _read;
    private readonly float[] _features;
    private readonly float[] _scores;

    public NetworkRowBatch(DataViewRow row, TensorColumn features, NetworkScorer scorer, PredictionColumns predictions, int capacity)
        : base(capacity)
    {
        _scorer = scorer;
        _predictions = predictions;
        _read = features.CreateReader(row);
        _features = new float[capacity * scorer.InputSize];
        _scores = new float[capacity * scorer.OutputSize];
    }

    // Rows with missing values still get a (NaN) prediction, as in ML.NET's scorers.
    public override void Read(int slot) => _read(_features.AsSpan(slot * _scorer.InputSize, _scorer.InputSize));

    public override void Compute(int rows) => _scorer.Score(_features, rows, _scores);

    public override Delegate CreateGetter(DataViewSchema.Column column) =>
        _predictions.CreateGetter(column.Name, () => _scores.AsMemory(Current * _scorer.OutputSize, _scorer.OutputSize));
}
