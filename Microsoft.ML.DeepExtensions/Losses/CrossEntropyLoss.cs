using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Losses;

/// <summary>
/// Cross-entropy (log loss) on probabilities: the negative log-probability of the true class, with
/// the probabilities computed first and the log clamped as PyTorch's <c>BCELoss</c> does.
/// </summary>
/// <remarks>
/// Formula: binary, <c>p = σ(s)</c>: <c>ℓ = -mean(y·max(log p, -100) + (1 - y)·max(log(1 - p), -100))</c>;
/// multiclass, <c>p = softmax(s)</c>: <c>ℓ = -mean(max(log p_y, -100))</c>, with <c>log p</c> taken as
/// <c>log_softmax(s)</c> so that a probability that underflows to 0 gives a zero gradient, not NaN.
/// Not for regression.
/// The clamp bounds a confidently wrong row's loss at 100 (where its gradient vanishes); for
/// gradients that never vanish use <see cref="SigmoidCrossEntropyLoss"/> or <see cref="SoftmaxCrossEntropyLoss"/>,
/// which work on the raw scores.
/// Reference: Good, "Rational Decisions", Journal of the Royal Statistical Society B 14 (1952).
/// </remarks>
public sealed class CrossEntropyLoss : Loss
{
    /// <summary>PyTorch's lower bound on a log-probability in <c>BCELoss</c>.</summary>
    private const double LogClamp = -100;

    /// <inheritdoc/>
    public override string Name => "cross-entropy";

    /// <inheritdoc/>
    public override bool Supports(PredictionTask task) => task != PredictionTask.Regression;

    /// <inheritdoc/>
    public override Tensor Compute(Tensor output, Tensor target, PredictionTask task) => task switch
    {
        PredictionTask.BinaryClassification => nn.functional.binary_cross_entropy(output.sigmoid(), target),
        PredictionTask.MulticlassClassification => nn.functional.nll_loss(output.log_softmax(1).clamp_min(LogClamp), target),
        _ => throw Unsupported(task),
    };
}
