using Microsoft.ML.DeepExtensions.Internals;

namespace Microsoft.ML.DeepExtensions.Schedules;

/// <summary>
/// How the learning rate changes from epoch to epoch. Immutable; <see cref="Start"/> creates the
/// <see cref="LearningRateScheduler"/> that one training run steps through.
/// </summary>
public abstract class LearningRateSchedule : IBuildingBlock
{
    /// <summary>The registry name, in kebab-case, such as <c>reduce-on-plateau</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Starts a training run.</summary>
    /// <param name="baseLearningRate">The optimizer's learning rate, used for the first epoch. Must be positive.</param>
    /// <param name="totalEpochs">The epochs the run will take at most. Must be positive.</param>
    public abstract LearningRateScheduler Start(double baseLearningRate, int totalEpochs);

    /// <summary>The canonical spec, which <see cref="Schedules.Get"/> parses back to an equal schedule.</summary>
    public override string ToString() => BuildingBlockSpec.Format(this);
}
