using Microsoft.ML.DeepExtensions.Internals;

namespace Microsoft.ML.DeepExtensions.Schedules;

/// <summary>A scheduler whose learning rate is a closed-form function of the number of completed epochs.</summary>
/// <param name="learningRateAfter">The learning rate after a number of completed epochs (0 for the first epoch).</param>
internal sealed class EpochFunctionScheduler(Func<int, double> learningRateAfter)
    : LearningRateScheduler(learningRateAfter(0))
{
    /// <inheritdoc/>
    public override void EpochCompleted(int epoch, double monitoredLoss) =>
        LearningRate = learningRateAfter(HyperParameter.NonNegative(epoch) + 1);
}
