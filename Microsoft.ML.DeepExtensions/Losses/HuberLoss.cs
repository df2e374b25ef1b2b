using Microsoft.ML.DeepExtensions.Internals;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Losses;

/// <summary>Huber loss: squared error for small errors, absolute error beyond <see cref="Delta"/>.</summary>
/// <remarks>
/// Formula: with <c>e = s - y</c>, <c>ℓ = mean(½e²)</c> where <c>|e| ≤ δ</c>, else <c>mean(δ(|e| - ½δ))</c>; regression only.
/// Paper: Huber, "Robust Estimation of a Location Parameter", Annals of Mathematical Statistics 35 (1964).
/// </remarks>
public sealed class HuberLoss : Loss
{
    /// <param name="delta">Where the loss turns from quadratic to linear. Must be positive. Defaults to 1.0.</param>
    public HuberLoss(double delta = 1.0) => Delta = HyperParameter.Positive(delta);

    /// <summary>Where the loss turns from quadratic to linear.</summary>
    public double Delta { get; }

    /// <inheritdoc/>
    public override string Name => "huber";

    /// <inheritdoc/>
    public override bool Supports(PredictionTask task) => task == PredictionTask.Regression;

    /// <inheritdoc/>
    public override Tensor Compute(Tensor output, Tensor target, PredictionTask task) =>
        Supports(task) ? nn.functional.huber_loss(output, target, Delta) : throw Unsupported(task);
}
