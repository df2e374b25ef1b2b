using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Losses;

/// <summary>L2 loss, the mean squared error: estimates the conditional mean, penalises large errors most.</summary>
/// <remarks>
/// Formula: <c>ℓ = mean((s - y)²)</c>; regression only.
/// Reference: Legendre's and Gauss's least squares (1805, 1809); PyTorch's <c>MSELoss</c>.
/// </remarks>
public sealed class L2Loss : Loss
{
    /// <inheritdoc/>
    public override string Name => "l2";

    /// <inheritdoc/>
    public override bool Supports(PredictionTask task) => task == PredictionTask.Regression;

    /// <inheritdoc/>
    public override Tensor Compute(Tensor output, Tensor target, PredictionTask task) =>
        Supports(task) ? nn.functional.mse_loss(output, target) : throw Unsupported(task);
}
