using Microsoft.ML.DeepExtensions.Internals;

namespace Microsoft.ML.DeepExtensions.Schedules;

/// <summary>Reduce on plateau: multiplies the learning rate by <see cref="Factor"/> when the monitored loss stops improving.</summary>
/// <remarks>
/// Rule (PyTorch's <c>ReduceLROnPlateau</c>, mode <c>min</c>, threshold mode <c>rel</c>): an epoch improves
/// when its loss is below <c>best·(1 - threshold)</c>; after more than <see cref="Patience"/> epochs
/// in a row without improvement, <c>η ← max(η·factor, η_min)</c>, and the next <see cref="Cooldown"/>
/// epochs do not count. A reduction smaller than 1e-8 is skipped, as PyTorch does.
/// Reference: no paper; the heuristic of Keras' and PyTorch's schedulers.
/// </remarks>
public sealed class ReduceOnPlateauSchedule : LearningRateSchedule
{
    /// <param name="factor">The factor applied at each reduction. Must be in (0, 1). Defaults to 0.1.</param>
    /// <param name="patience">The epochs without improvement tolerated before a reduction. Must be 0 or more. Defaults to 10.</param>
    /// <param name="threshold">The relative improvement that counts. Must be 0 or more. Defaults to 1e-4.</param>
    /// <param name="cooldown">The epochs after a reduction during which no epoch counts as bad. Must be 0 or more. Defaults to 0.</param>
    /// <param name="minLearningRate">The lowest learning rate. Must be 0 or more. Defaults to 0.</param>
    public ReduceOnPlateauSchedule(double factor = 0.1, int patience = 10, double threshold = 1e-4, int cooldown = 0, double minLearningRate = 0)
    {
        Factor = HyperParameter.Require(factor, factor is > 0 and < 1, "must be in (0, 1)");
        Patience = HyperParameter.NonNegative(patience);
        Threshold = HyperParameter.NonNegative(threshold);
        Cooldown = HyperParameter.NonNegative(cooldown);
        MinLearningRate = HyperParameter.NonNegative(minLearningRate);
    }

    /// <summary>The factor applied at each reduction.</summary>
    public double Factor { get; }

    /// <summary>The epochs without improvement tolerated before a reduction.</summary>
    public int Patience { get; }

    /// <summary>The relative improvement that counts.</summary>
    public double Threshold { get; }

    /// <summary>The epochs after a reduction during which no epoch counts as bad.</summary>
    public int Cooldown { get; }

    /// <summary>The lowest learning rate.</summary>
    public double MinLearningRate { get; }

    /// <inheritdoc/>
    public override string Name => "reduce-on-plateau";

    /// <inheritdoc/>
    public override LearningRateScheduler Start(double baseLearningRate, int totalEpochs) => new Scheduler(this, baseLearningRate);

    private sealed class Scheduler(ReduceOnPlateauSchedule schedule, double baseLearningRate) : LearningRateScheduler(baseLearningRate)
    {
        /// <summary>PyTorch's <c>eps</c>: a smaller reduction is skipped.</summary>
        private const double MinimalReduction = 1e-8;

        private double _best = double.PositiveInfinity;
        private int _badEpochs;
        private int _cooldownLeft;

        public override void EpochCompleted(int epoch, double monitoredLoss)
        {
            if (monitoredLoss < _best * (1 - schedule.Threshold))
            {
                _best = monitoredLoss;
                _badEpochs = 0;
            }
            else
            {
                _badEpochs++;
            }

            if (_cooldownLeft > 0)
            {
                _cooldownLeft--;
                _badEpochs = 0;
            }

            if (_badEpochs > schedule.Patience)
            {
                double reduced = Math.Max(LearningRate * schedule.Factor, schedule.MinLearningRate);
                if (LearningRate - reduced > MinimalReduction)
                    LearningRate = reduced;
                _cooldownLeft = schedule.Cooldown;
                _badEpochs = 0;
            }
        }
    }
}
