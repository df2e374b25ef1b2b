namespace Microsoft.ML.DeepExtensions.Training;

/// <summary>What one finished epoch reports through <see cref="DeepTrainerOptions.Progress"/> and the MLContext log.</summary>
/// <param name="Epoch">1-based number of the epoch that just finished.</param>
/// <param name="Epochs">The most epochs this run will train (early stopping may end it sooner; a time limit may lower it).</param>
/// <param name="TrainingLoss">Mean training loss over the epoch's rows.</param>
/// <param name="ValidationLoss">Mean loss on the validation data, when there is some.</param>
/// <param name="ValidationMetricName"><c>Accuracy</c> for classification, <c>RootMeanSquaredError</c> for regression.</param>
/// <param name="ValidationMetric">That metric on the validation data, when there is some.</param>
/// <param name="LearningRate">Learning rate used during the epoch.</param>
/// <param name="RowsPerSecond">Training rows per second over the epoch.</param>
/// <param name="Elapsed">Time since training started.</param>
/// <param name="IsBest">True when the monitored loss improved in this epoch.</param>
/// <param name="TrainingMetric">The <paramref name="ValidationMetricName"/> metric on the epoch's training batches
/// (computed while the weights changed, and on augmented images when augmentation is on).</param>
public sealed record TrainingProgress(
    int Epoch,
    int Epochs,
    double TrainingLoss,
    double? ValidationLoss,
    string ValidationMetricName,
    double? ValidationMetric,
    double LearningRate,
    double RowsPerSecond,
    TimeSpan Elapsed,
    bool IsBest,
    double? TrainingMetric = null)
{
    /// <summary>
    /// The named parts of <see cref="TrainingLoss"/> (e.g. a detector's <c>box</c>, <c>objectness</c> and <c>class</c>
    /// losses), each a mean over the epoch's rows; null for a one-part loss.
    /// </summary>
    public IReadOnlyDictionary<string, double>? LossParts { get; init; }

    /// <summary>Further validation metrics beside <see cref="ValidationMetric"/> (e.g. a detector's <c>AP50</c>); null when none.</summary>
    public IReadOnlyDictionary<string, double>? ValidationMetrics { get; init; }

    public override string ToString()
    {
        var parts = LossParts is null ? "" : $" ({string.Join(", ", LossParts.Select(p => $"{p.Key} {p.Value:G4}"))})";
        var validation = ValidationLoss is null ? "" : $", validation loss {ValidationLoss:G5}";
        if (ValidationMetric is not null)
            validation += $", {(ValidationLoss is null ? "validation " : "")}{ValidationMetricName} {ValidationMetric:G5}";
        if (ValidationMetrics is not null)
            validation += string.Concat(ValidationMetrics.Select(m => $", {m.Key} {m.Value:G5}"));
        var training = TrainingMetric is null ? "" : $", {ValidationMetricName} {TrainingMetric:G5}";
        return $"epoch {Epoch}/{Epochs}: loss {TrainingLoss:G5}{parts}{training}{validation}, learning rate {LearningRate:G3}, {FormatRate(RowsPerSecond)} rows/s";
    }

    /// <summary>A rate for people: whole numbers from 10 up (<c>1,250</c>), two significant digits below (<c>0.93</c>, where
    /// a whole number would say 1 or 0).</summary>
    public static string FormatRate(double perSecond) =>
        perSecond.ToString(perSecond >= 10 ? "N0" : "G2", System.Globalization.CultureInfo.InvariantCulture);
}
