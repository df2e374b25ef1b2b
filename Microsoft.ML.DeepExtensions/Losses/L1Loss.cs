using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Losses;

/// <summary>L1 loss, the mean absolute error: robust to outliers, estimates the conditional median.</summary>
/// <remarks>
/// Formula: <c>ℓ = mean(|s - y|)</c>; regression only.
/// Reference: Laplace's least absolute deviations (1774); PyTorch's <c>L1Loss</c>.
/// </remarks>
public sealed class L1Loss : Loss
{
    /// <inheritdoc/>
    public override string Name => "l1";

    /// <inheritdoc/>
    public override bool Supports(PredictionTask task) => task == PredictionTask.Regression;

    /// <inheritdoc/>
    public override Tensor Compute(Tensor output, Tensor target, PredictionTask task) =>
        Supports(task) ? nn.functional.l1_loss(output, target) : throw Unsupported(task);
}
