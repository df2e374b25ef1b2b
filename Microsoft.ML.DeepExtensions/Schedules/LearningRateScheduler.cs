using Microsoft.ML.DeepExtensions.Internals;

namespace Microsoft.ML.DeepExtensions.Schedules;

/// <summary>The learning rate of one training run, updated after every epoch.</summary>
public abstract class LearningRateScheduler
{
    /// <param name="baseLearningRate">The learning rate of the first epoch. Must be positive.</param>
    protected LearningRateScheduler(double baseLearningRate) =>
        LearningRate = HyperParameter.Positive(baseLearningRate);

    /// <summary>The learning rate for the next epoch.</summary>
    public double LearningRate { get; protected set; }

    /// <summary>Updates <see cref="LearningRate"/> after an epoch.</summary>
    /// <param name="epoch">The 0-based index of the epoch just completed (so 0 after the first epoch).</param>
    /// <param name="monitoredLoss">That epoch's monitored loss (validation loss, else training loss).</param>
    public abstract void EpochCompleted(int epoch, double monitoredLoss);
}
