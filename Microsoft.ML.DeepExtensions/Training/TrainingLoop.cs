using System.Diagnostics;
using Microsoft.ML.DeepExtensions.Schedules;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Training;

/// <summary>How a finished training run went.</summary>
internal sealed record TrainingSummary(int EpochsRun, int BestEpoch, double BestMonitoredLoss, IReadOnlyList<TrainingProgress> History, bool StoppedEarly);

/// <summary>
/// The training loop: the only place that calls <c>zero_grad</c>, <c>backward</c> and <c>step</c>.
/// Every trainer (classifiers, regressors, detectors) hands it a network, a <see cref="TrainingObjective{TBatch}"/>
/// and a batch source; it owns dispose scopes (one per batch), gradient clipping, the learning-rate schedule,
/// validation, early stopping with the best weights restored, progress reports and cancellation between batches.
/// </summary>
internal static class TrainingLoop
{
    private static readonly TimeSpan BatchReportInterval = TimeSpan.FromMilliseconds(500);

    public static TrainingSummary Run<TBatch>(
        nn.Module network,
        TrainingObjective<TBatch> objective,
        DeepTrainerOptions options,
        IBatchSource<TBatch> training,
        bool validate,
        Random shuffleRandom,
        IChannel channel,
        IReadOnlyList<ParameterGroup>? groups = null)
    {
        var cancellation = options.CancellationToken;
        var parameters = network.parameters().Where(p => p.requires_grad).ToArray();
        if (parameters.Length == 0)
            throw new InvalidOperationException("The network has no trainable parameters.");
        // One optimizer per group (all trainable parameters in one group by default): every optimizer type then
        // supports per-group learning rates, with its state (moments) kept per group as PyTorch's param_groups do.
        groups = groups?.Where(g => g.Parameters.Count > 0).ToArray() is { Length: > 0 } given
            ? given
            : new[] { new ParameterGroup("all", parameters, 1) };
        // On a GPU the loss is summed on the device and read once per epoch (reading it per batch
        // would synchronise every step); on the CPU reading it is one call, cheaper than tensor sums.
        var device = parameters[0].device;
        bool lossOnHost = parameters[0].device_type == DeviceType.CPU;
        var optimizers = groups.Select(g => options.Optimizer.Create(g.Parameters)).ToArray();
        int requestedEpochs = options.Epochs, epochs = requestedEpochs;
        var monitoredHistory = new List<double>();
        var schedule = Restart(options, epochs, monitoredHistory);
        int batchSize = options.BatchSize.RowsFor(training.RowCount);
        var metricName = objective.MetricName;
        var partNames = objective.LossPartNames;
        bool trainingMetric = objective.HasTrainingMetric;

        var history = new List<TrainingProgress>();
        double best = double.PositiveInfinity;
        int bestEpoch = 0, sinceBest = 0;
        Dictionary<string, Tensor>? bestWeights = null;
        using var average = options.WeightAverageMomentum is double momentum ? new WeightAverage(network, momentum) : null;
        var clock = Stopwatch.StartNew();
        bool stoppedEarly = false;

        try
        {
            for (int epoch = 0; epoch < epochs; epoch++)
            {
                cancellation.ThrowIfCancellationRequested();
                objective.StartEpoch(epoch, epochs);
                double learningRate = schedule.LearningRate;
                for (int g = 0; g < optimizers.Length; g++)
                    Optimizers.Optimizer.SetLearningRate(optimizers[g], learningRate * groups[g].LearningRateFactor);
                network.train();
                using var lossTotal = torch.zeros(1, dtype: ScalarType.Float64, device: device);
                using var metricTotal = torch.zeros(1, dtype: ScalarType.Float64, device: device);
                using var partTotals = torch.zeros(Math.Max(partNames.Count, 1), dtype: ScalarType.Float64, device: device);
                double lossSum = 0, metricSum = 0;
                var partSums = new double[partNames.Count];
                long rows = 0;
                var epochClock = Stopwatch.StartNew();
                var sinceReport = Stopwatch.StartNew();

                double MeanLoss() => (lossOnHost ? lossSum : lossTotal.item<double>()) / Math.Max(rows, 1);
                double Metric() => trainingMetric ? objective.FinishMetric(lossOnHost ? metricSum : metricTotal.item<double>(), rows) : double.NaN;

                using (var batches = training.Batches(batchSize, options.Shuffle ? shuffleRandom : null, cancellation).GetEnumerator())
                {
                    while (true)
                    {
                        cancellation.ThrowIfCancellationRequested();
                        using var scope = torch.NewDisposeScope();
                        if (!batches.MoveNext())
                            break;
                        var batch = batches.Current;
                        int batchRows = objective.Rows(batch);
                        foreach (var optimizer in optimizers)
                            optimizer.zero_grad();
                        var value = objective.Forward(batch);
                        value.Total.backward();
                        if (options.GradientClipValue is double clipValue)
                            nn.utils.clip_grad_value_(parameters, clipValue);
                        if (options.GradientClipNorm is double clipNorm)
                            nn.utils.clip_grad_norm_(parameters, clipNorm);
                        foreach (var optimizer in optimizers)
                            optimizer.step();
                        average?.Update();
                        using (torch.no_grad())
                        {
                            if (lossOnHost)
                            {
                                lossSum += value.Total.item<float>() * (double)batchRows;
                                if (value.MetricSum is { } metric)
                                    metricSum += metric.item<double>();
                                if (value.Parts is { } parts)
                                {
                                    var partValues = parts.to_type(ScalarType.Float64).data<double>().ToArray();
                                    for (int i = 0; i < partSums.Length; i++)
                                        partSums[i] += partValues[i] * batchRows;
                                }
                            }
                            else
                            {
                                lossTotal.add_(value.Total.detach().to_type(ScalarType.Float64) * batchRows);
                                if (value.MetricSum is { } metric)
                                    metricTotal.add_(metric);
                                if (value.Parts is { } parts)
                                    partTotals.add_(parts.to_type(ScalarType.Float64) * batchRows);
                            }
                        }
                        rows += batchRows;
                        if (options.BatchProgress is { } batchProgress && sinceReport.Elapsed >= BatchReportInterval)
                        {
                            sinceReport.Restart();
                            double seconds = Math.Max(epochClock.Elapsed.TotalSeconds, 1e-9);
                            batchProgress.Report(new BatchProgress(epoch + 1, epochs, rows, training.RowCount,
                                MeanLoss(), metricName, Metric(), rows / seconds));
                        }
                    }
                }

                double trainingLoss = MeanLoss();
                double? trainingMetricValue = trainingMetric ? Metric() : null;
                if (!double.IsFinite(trainingLoss))
                    throw new InvalidOperationException(
                        $"Training diverged in epoch {epoch + 1}: the loss became {trainingLoss}. Lower the learning rate (now {learningRate:G3}), normalize the features, or set GradientClipNorm.");
                double rowsPerSecond = rows / Math.Max(epochClock.Elapsed.TotalSeconds, 1e-9);
                IReadOnlyDictionary<string, double>? lossParts = null;
                if (partNames.Count > 0)
                {
                    var totals = lossOnHost ? partSums : partTotals.data<double>().ToArray();
                    lossParts = partNames.Select((name, i) => (name, totals[i] / Math.Max(rows, 1))).ToDictionary(p => p.name, p => p.Item2);
                }

                ValidationOutcome? validationResult = null;
                bool improved;
                double monitored;
                // With a weight average, validation scores (and early stopping keeps) the average: what Fit() returns.
                if (validate)
                    average?.Swap();
                try
                {
                    if (validate)
                        validationResult = objective.Validate(batchSize, cancellation);
                    monitored = validationResult?.Monitored ?? trainingLoss;
                    improved = monitored < best - options.EarlyStoppingMinDelta * Math.Abs(best) || double.IsPositiveInfinity(best);
                    if (improved)
                    {
                        best = monitored;
                        bestEpoch = epoch + 1;
                        sinceBest = 0;
                        if (validate)
                            bestWeights = Snapshot(network, bestWeights);
                    }
                    else
                    {
                        sinceBest++;
                    }
                }
                finally
                {
                    if (validate)
                    {
                        average?.Swap();
                        network.train();
                    }
                }

                var progress = new TrainingProgress(epoch + 1, epochs, trainingLoss, validationResult?.Loss, metricName,
                    validationResult?.Metric, learningRate, rowsPerSecond, clock.Elapsed, improved, trainingMetricValue)
                {
                    LossParts = lossParts,
                    ValidationMetrics = validationResult?.Metrics,
                };
                history.Add(progress);
                channel.Info(MessageSensitivity.None, progress.ToString());
                options.Progress?.Report(progress);

                schedule.EpochCompleted(epoch, monitored);
                monitoredHistory.Add(monitored);
                if (options.TimeLimit is { } limit && epoch + 1 < requestedEpochs)
                {
                    double epochSeconds = clock.Elapsed.TotalSeconds / (epoch + 1);
                    int fit = EpochsWithinBudget(requestedEpochs, epochs, epoch + 1, epochSeconds, limit.TotalSeconds);
                    if (fit != epochs)
                    {
                        channel.Info(MessageSensitivity.None, fit == epoch + 1
                            ? $"Time limit {limit}: another epoch would not fit ({epochSeconds:F1} s per epoch); stopping after epoch {epoch + 1} of {epochs}."
                            : $"Time limit {limit}: {fit} of the {requestedEpochs} epochs fit at {epochSeconds:F1} s per epoch; training for {fit} (was {epochs}), the learning-rate schedule over {fit}.");
                        epochs = fit;
                        schedule = Restart(options, epochs, monitoredHistory);
                    }
                }
                if (options.EarlyStoppingPatience > 0 && sinceBest >= options.EarlyStoppingPatience)
                {
                    channel.Info(MessageSensitivity.None, $"Early stopping after epoch {epoch + 1}: no improvement for {sinceBest} epochs; best epoch {bestEpoch}.");
                    stoppedEarly = true;
                    break;
                }
            }

            if (bestWeights is not null)
                Restore(network, bestWeights);
            else
                average?.CopyToNetwork();
            return new TrainingSummary(history.Count, bestEpoch, best, history, stoppedEarly);
        }
        finally
        {
            foreach (var optimizer in optimizers)
                optimizer.Dispose();
            if (bestWeights is not null)
            {
                foreach (var tensor in bestWeights.Values)
                    tensor.Dispose();
            }
        }
    }

    /// <summary>
    /// The epoch count a time budget allows after <paramref name="done"/> epochs at <paramref name="epochSeconds"/> each (the
    /// mean so far): as many of the <paramref name="requested"/> as fit, at least those done. A run shortened before gets
    /// epochs back only when they fit with 5% of the budget to spare, so that an epoch-to-epoch wobble in the mean does not
    /// restart the schedule back and forth.
    /// </summary>
    internal static int EpochsWithinBudget(int requested, int current, int done, double epochSeconds, double limitSeconds)
    {
        int fit = (int)Math.Min(requested, Math.Floor(limitSeconds / epochSeconds));
        if (fit > current)
            fit = Math.Max(current, (int)Math.Min(requested, Math.Floor(0.95 * limitSeconds / epochSeconds)));
        return Math.Max(fit, done);
    }

    /// <summary>The options' schedule started (again) over <paramref name="epochs"/> and stepped through the epochs done, so the next rate is the new count's.</summary>
    internal static LearningRateScheduler Restart(DeepTrainerOptions options, int epochs, IReadOnlyList<double> monitored)
    {
        var schedule = (options.LearningRateSchedule ?? new ConstantSchedule()).Start(options.Optimizer.LearningRate, epochs);
        for (int e = 0; e < monitored.Count; e++)
            schedule.EpochCompleted(e, monitored[e]);
        return schedule;
    }

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
