namespace Microsoft.ML.DeepExtensions.Training;

/// <summary>
/// Progress inside an epoch, reported through <see cref="DeepTrainerOptions.BatchProgress"/> about
/// twice a second (never per batch: on a GPU each report reads the running loss from the device).
/// </summary>
/// <param name="Epoch">1-based number of the running epoch.</param>
/// <param name="Epochs">The most epochs this run will train.</param>
/// <param name="Rows">Training rows processed so far in this epoch.</param>
/// <param name="RowsPerEpoch">Training rows per epoch.</param>
/// <param name="TrainingLoss">Mean training loss over this epoch's rows so far.</param>
/// <param name="MetricName"><c>Accuracy</c> for classification, <c>RootMeanSquaredError</c> for regression.</param>
/// <param name="TrainingMetric">That metric over this epoch's rows so far.</param>
/// <param name="RowsPerSecond">Training rows per second in this epoch so far.</param>
public sealed record BatchProgress(
    int Epoch,
    int Epochs,
    long Rows,
    long RowsPerEpoch,
    double TrainingLoss,
    string MetricName,
    double TrainingMetric,
    double RowsPerSecond);
