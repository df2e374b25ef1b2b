namespace Microsoft.ML.DeepExtensions.Schedules;

/// <summary>A constant learning rate: the optimizer's own, every epoch.</summary>
/// <remarks>Formula: <c>η_e = η₀</c>.</remarks>
public sealed class ConstantSchedule : LearningRateSchedule
{
    /// <inheritdoc/>
    public override string Name => "constant";

    /// <inheritdoc/>
    public override LearningRateScheduler Start(double baseLearningRate, int totalEpochs) =>
        new EpochFunctionScheduler(_ => baseLearningRate);
}
