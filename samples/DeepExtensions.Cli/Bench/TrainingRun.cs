namespace DeepExtensions.Cli.Bench;

/// <summary>One timed training run of one side of the benchmark.</summary>
/// <param name="Side"><c>pipeline</c> or <c>bare</c>.</param>
/// <param name="Seconds">Wall time end to end: network, data to tensors, every epoch.</param>
/// <param name="Rows">Training rows per epoch.</param>
/// <param name="Epochs">Epochs run.</param>
/// <param name="EpochRowsPerSecond">Rows/s of each epoch alone (the trainer's own report for the pipeline).</param>
/// <param name="SetupSeconds">Time outside the epochs: schema checks, network, the pass from the data to tensors.</param>
/// <param name="FinalLoss">Mean training loss of the last epoch (a sanity check: both sides learn the same thing).</param>
/// <param name="StartBytes">Resident bytes before the run.</param>
/// <param name="PeakBytes">Peak resident bytes during the run.</param>
/// <param name="AllocatedBytes">Managed bytes allocated during the run.</param>
public sealed record TrainingRun(
    string Side,
    double Seconds,
    long Rows,
    int Epochs,
    double[] EpochRowsPerSecond,
    double SetupSeconds,
    double FinalLoss,
    long StartBytes,
    long PeakBytes,
    long AllocatedBytes)
{
    /// <summary>Rows trained per second of wall time, setup included.</summary>
    public double RowsPerSecond => Rows * (double)Epochs / Seconds;

    /// <summary>Median rows/s of the epochs alone.</summary>
    public double EpochMedianRowsPerSecond => BenchStats.Median(EpochRowsPerSecond);
}

/// <summary>One timed scoring run.</summary>
public sealed record ScoringRun(string Method, long Rows, double Seconds)
{
    public double RowsPerSecond => Rows / Seconds;
}

internal static class BenchStats
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
            return double.NaN;
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    public static double Megabytes(long bytes) => bytes / (1024.0 * 1024.0);
}
