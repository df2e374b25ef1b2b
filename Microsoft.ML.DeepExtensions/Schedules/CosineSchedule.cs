using Microsoft.ML.DeepExtensions.Internals;

namespace Microsoft.ML.DeepExtensions.Schedules;

/// <summary>Cosine annealing: lowers the learning rate along a half cosine from the base rate to a minimum.</summary>
/// <remarks>
/// Formula: after e completed epochs, <c>η_e = η_min + (η₀ - η_min)·(1 + cos(π·e / T))/2</c>
/// (PyTorch's <c>CosineAnnealingLR</c> closed form; past T the cosine rises again).
/// Paper: Loshchilov and Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", ICLR 2017 (arXiv:1608.03983).
/// </remarks>
public sealed class CosineSchedule : LearningRateSchedule
{
    /// <param name="maxEpochs">The epochs T of the half cosine. Must be 0 or more. Defaults to 0: the run's total epochs.</param>
    /// <param name="minLearningRate">The learning rate η_min reached after T epochs. Must be 0 or more. Defaults to 0.</param>
    public CosineSchedule(int maxEpochs = 0, double minLearningRate = 0)
    {
        MaxEpochs = HyperParameter.NonNegative(maxEpochs);
        MinLearningRate = HyperParameter.NonNegative(minLearningRate);
    }

    /// <summary>The epochs of the half cosine, or 0 for the run's total epochs.</summary>
    public int MaxEpochs { get; }

    /// <summary>The learning rate reached after <see cref="MaxEpochs"/> epochs.</summary>
    public double MinLearningRate { get; }

    /// <inheritdoc/>
    public override string Name => "cosine";

    /// <inheritdoc/>
    public override LearningRateScheduler Start(double baseLearningRate, int totalEpochs)
    {
        double period = MaxEpochs > 0 ? MaxEpochs : HyperParameter.Positive(totalEpochs);
        return new EpochFunctionScheduler(epochs =>
            MinLearningRate + (baseLearningRate - MinLearningRate) * (1 + Math.Cos(Math.PI * epochs / period)) / 2);
    }
}
