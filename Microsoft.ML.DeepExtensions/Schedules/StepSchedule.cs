using Microsoft.ML.DeepExtensions.Internals;

namespace Microsoft.ML.DeepExtensions.Schedules;

/// <summary>Step decay: multiplies the learning rate by <see cref="Gamma"/> every <see cref="StepSize"/> epochs.</summary>
/// <remarks>
/// Formula: after e completed epochs, <c>η_e = η₀·γ^⌊e / s⌋</c> (PyTorch's <c>StepLR</c>).
/// Paper: He, Zhang, Ren and Sun, "Deep Residual Learning for Image Recognition", CVPR 2016 (learning rate divided by 10 at fixed points).
/// </remarks>
public sealed class StepSchedule : LearningRateSchedule
{
    /// <param name="stepSize">The epochs s between decays. Must be positive. Defaults to 10.</param>
    /// <param name="gamma">The factor γ applied at each decay. Must be positive. Defaults to 0.1.</param>
    public StepSchedule(int stepSize = 10, double gamma = 0.1)
    {
        StepSize = HyperParameter.Positive(stepSize);
        Gamma = HyperParameter.Positive(gamma);
    }

    /// <summary>The epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>The factor applied at each decay.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    public override string Name => "step";

    /// <inheritdoc/>
    public override LearningRateScheduler Start(double baseLearningRate, int totalEpochs) =>
        new EpochFunctionScheduler(epochs => baseLearningRate * Math.Pow(Gamma, epochs / StepSize));
}
