using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Losses;

/// <summary>
/// Sigmoid cross-entropy: binary log loss computed from the raw score in one numerically stable
/// step, so its gradient <c>σ(s) - y</c> never vanishes. The default loss for binary classification.
/// </summary>
/// <remarks>
/// Formula: <c>ℓ = mean(max(s, 0) - s·y + log(1 + exp(-|s|)))</c> = <c>-mean(y·log σ(s) + (1 - y)·log(1 - σ(s)))</c>;
/// binary classification only (PyTorch's <c>BCEWithLogitsLoss</c>).
/// Reference: Cox, "The Regression Analysis of Binary Sequences", Journal of the Royal Statistical Society B 20 (1958).
/// </remarks>
public sealed class SigmoidCrossEntropyLoss : Loss
{
    /// <inheritdoc/>
    public override string Name => "sigmoid-cross-entropy";

    /// <inheritdoc/>
    public override bool Supports(PredictionTask task) => task == PredictionTask.BinaryClassification;

    /// <inheritdoc/>
    public override Tensor Compute(Tensor output, Tensor target, PredictionTask task) =>
        Supports(task) ? nn.functional.binary_cross_entropy_with_logits(output, target) : throw Unsupported(task);
}
