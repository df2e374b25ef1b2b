using System.Diagnostics;
using Microsoft.ML.DeepExtensions.Data;
using Microsoft.ML.DeepExtensions.Losses;
using Microsoft.ML.DeepExtensions.Schedules;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Training;

/// <summary>How a finished training run went.</summary>
internal sealed record TrainingSummary(int EpochsRun, int BestEpoch, double BestMonitoredLoss, IReadOnlyList<TrainingProgress> History, bool StoppedEarly);

/// <summary>
/// The training loop: the only place that calls <c>zero_grad</c>, <c>backward</c> and <c>step</c>.
/// Every trainer hands it a network, a loss and batch sources; it owns dispose scopes (one per
/// batch), gradient clipping, the learning-rate schedule, validation, early stopping with the best
/// weights restored, progress reports and cancellation between batches.
/// </summary>
internal static class TrainingLoop
{
    private static readonly TimeSpan BatchReportInterval = TimeSpan.FromMilliseconds(500);

    public static TrainingSummary Run(
        nn.Module<Tensor, Tensor> network,
        PredictionTask task,
        Loss loss,
        DeepTrainerOptions options,
        DataViewBatchSource training,
        DataViewBatchSource? validation,
        Random shuffleRandom,
        IChannel channel,
        BatchAugmentation? augmentation = null)
    {
        var cancellation = options.CancellationToken;
        var parameters = network.parameters().ToArray();
        // On a GPU the loss is summed on the device and read once per epoch (reading it per batch
        // would synchronise every step); on the CPU reading it is one call, cheaper than tensor sums.
        bool lossOnHost = parameters[0].device_type == DeviceType.CPU;
        using var optimizer = options.Optimizer.Create(parameters);
        var schedule = (options.LearningRateSchedule ?? new ConstantSchedule()).Start(options.Optimizer.LearningRate, options.Epochs);
        int batchSize = options.BatchSize.RowsFor(training.RowCount);
        var metricName = task == PredictionTask.Regression ? "RootMeanSquaredError" : "Accuracy";

        var history = new List<TrainingProgress>();
        double best = double.PositiveInfinity;
        int bestEpoch = 0, sinceBest = 0;
        Dictionary<string, Tensor>? bestWeights = null;
        var clock = Stopwatch.StartNew();
        bool stoppedEarly = false;

        try
        {
            for (int epoch = 0; epoch < options.Epochs; epoch++)
            {
                cancellation.ThrowIfCancellationRequested();
                double learningRate = schedule.LearningRate;
                Optimizers.Optimizer.SetLearningRate(optimizer, learningRate);
                network.train();
                using var lossTotal = torch.zeros(1, dtype: ScalarType.Float64, device: parameters[0].device);
                using var metricTotal = torch.zeros(1, dtype: ScalarType.Float64, device: parameters[0].device);
                double lossSum = 0, metricSum = 0;
                long rows = 0;
                var epochClock = Stopwatch.StartNew();
                var sinceReport = Stopwatch.StartNew();

                using (var batches = training.Batches(batchSize, options.Shuffle ? shuffleRandom : null, cancellation).GetEnumerator())
                {
                    while (true)
                    {
                        cancellation.ThrowIfCancellationRequested();
                        using var scope = torch.NewDisposeScope();
                        if (!batches.MoveNext())
                            break;
                        var batch = batches.Current;
                        optimizer.zero_grad();
                        var features = augmentation is null ? batch.Features : augmentation.Apply(batch.Features);
                        var output = NetworkOutput.Shape(network.forward(features), task);
                        var value = loss.Compute(output, batch.Targets, task);
                        value.backward();
                        if (options.GradientClipValue is double clipValue)
                            nn.utils.clip_grad_value_(parameters, clipValue);
                        if (options.GradientClipNorm is double clipNorm)
                            nn.utils.clip_grad_norm_(parameters, clipNorm);
                        optimizer.step();
                        using (torch.no_grad())
                        {
                            var metric = MetricSum(output.detach(), batch.Targets, task);
                            if (lossOnHost)
                            {
                                lossSum += value.item<float>() * (double)batch.Rows;
                                metricSum += metric.item<double>();
                            }
                            else
                            {
                                lossTotal.add_(value.detach().to_type(ScalarType.Float64) * batch.Rows);
                                metricTotal.add_(metric);
                            }
                        }
                        rows += batch.Rows;
                        if (options.BatchProgress is { } batchProgress && sinceReport.Elapsed >= BatchReportInterval)
                        {
                            sinceReport.Restart();
                            double seconds = Math.Max(epochClock.Elapsed.TotalSeconds, 1e-9);
                            batchProgress.Report(new BatchProgress(epoch + 1, options.Epochs, rows, training.RowCount,
                                (lossOnHost ? lossSum : lossTotal.item<double>()) / rows, metricName,
                                FinishMetric(lossOnHost ? metricSum : metricTotal.item<double>(), rows, task), rows / seconds));
                        }
                    }
                }

                double trainingLoss = (lossOnHost ? lossSum : lossTotal.item<double>()) / Math.Max(rows, 1);
                double trainingMetric = FinishMetric(lossOnHost ? metricSum : metricTotal.item<double>(), rows, task);
                if (!double.IsFinite(trainingLoss))
                    throw new InvalidOperationException(
                        $"Training diverged in epoch {epoch + 1}: the loss became {trainingLoss}. Lower the learning rate (now {learningRate:G3}), normalize the features, or set GradientClipNorm.");
                double rowsPerSecond = rows / Math.Max(epochClock.Elapsed.TotalSeconds, 1e-9);

                (double Loss, double Metric)? validationResult = validation is null ? null : Evaluate(network, task, loss, validation, batchSize, cancellation);
                double monitored = validationResult?.Loss ?? trainingLoss;
                bool improved = monitored < best - options.EarlyStoppingMinDelta * Math.Abs(best) || double.IsPositiveInfinity(best);
                if (improved)
                {
                    best = monitored;
                    bestEpoch = epoch + 1;
                    sinceBest = 0;
                    if (validation is not null)
                        bestWeights = Snapshot(network, bestWeights);
                }
                else
                {
                    sinceBest++;
                }

                var progress = new TrainingProgress(epoch + 1, options.Epochs, trainingLoss, validationResult?.Loss, metricName,
                    validationResult?.Metric, learningRate, rowsPerSecond, clock.Elapsed, improved, trainingMetric);
                history.Add(progress);
                channel.Info(MessageSensitivity.None, progress.ToString());
                options.Progress?.Report(progress);

                schedule.EpochCompleted(epoch, monitored);
                if (options.EarlyStoppingPatience > 0 && sinceBest >= options.EarlyStoppingPatience)
                {
                    channel.Info(MessageSensitivity.None, $"Early stopping after epoch {epoch + 1}: no improvement for {sinceBest} epochs; best epoch {bestEpoch}.");
                    stoppedEarly = true;
                    break;
                }
            }

            if (bestWeights is not null)
                Restore(network, bestWeights);
            return new TrainingSummary(history.Count, bestEpoch, best, history, stoppedEarly);
        }
        finally
        {
            if (bestWeights is not null)
            {
                foreach (var tensor in bestWeights.Values)
                    tensor.Dispose();
            }
        }
    }

    /// <summary>Mean loss and the task's metric (accuracy or RMSE) over a batch source, in evaluation mode.</summary>
    internal static (double Loss, double Metric) Evaluate(nn.Module<Tensor, Tensor> network, PredictionTask task, Loss loss, DataViewBatchSource source, int batchSize, CancellationToken cancellation)
    {
        network.eval();
        double lossSum = 0, metricSum = 0;
        long rows = 0;
        using var noGrad = torch.no_grad();
        using var batches = source.Batches(batchSize, shuffle: null, cancellation).GetEnumerator();
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            if (!batches.MoveNext())
                break;
            var batch = batches.Current;
            var output = NetworkOutput.Shape(network.forward(batch.Features), task);
            lossSum += loss.Compute(output, batch.Targets, task).item<float>() * batch.Rows;
            metricSum += MetricSum(output, batch.Targets, task).item<double>();
            rows += batch.Rows;
        }
        network.train();
        return (lossSum / rows, FinishMetric(metricSum, rows, task));
    }

    /// <summary>
    /// A batch's contribution to the task's metric, as a float64 scalar on the batch's device:
    /// squared errors for regression, correct predictions for classification.
    /// </summary>
    private static Tensor MetricSum(Tensor output, Tensor targets, PredictionTask task) => task switch
    {
        PredictionTask.Regression => (output - targets).square().sum().to_type(ScalarType.Float64),
        PredictionTask.BinaryClassification => (output > 0).to_type(ScalarType.Float32).eq(targets).sum().to_type(ScalarType.Float64),
        _ => output.argmax(1).eq(targets).sum().to_type(ScalarType.Float64),
    };

    /// <summary>RMSE for regression, accuracy for classification, from <see cref="MetricSum"/>s over <paramref name="rows"/>.</summary>
    private static double FinishMetric(double sum, long rows, PredictionTask task) =>
        task == PredictionTask.Regression ? Math.Sqrt(sum / Math.Max(rows, 1)) : sum / Math.Max(rows, 1);

    private static Dictionary<string, Tensor> Snapshot(nn.Module network, Dictionary<string, Tensor>? previous)
    {
        if (previous is not null)
        {
            foreach (var tensor in previous.Values)
                tensor.Dispose();
        }
        var copy = new Dictionary<string, Tensor>();
        using var scope = torch.NewDisposeScope();
        foreach (var (name, tensor) in network.state_dict())
            copy[name] = tensor.detach().clone().DetachFromDisposeScope();
        return copy;
    }

    private static void Restore(nn.Module network, Dictionary<string, Tensor> weights)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, tensor) in network.state_dict())
            tensor.copy_(weights[name]);
    }
}

/// <summary>The network output as losses and scorers see it.</summary>
internal static class NetworkOutput
{
    /// <summary><c>[N, K]</c> for multiclass; <c>[N]</c> for binary classification and regression.</summary>
    public static Tensor Shape(Tensor output, PredictionTask task) =>
        task == PredictionTask.MulticlassClassification ? output : output.reshape(-1);
}
