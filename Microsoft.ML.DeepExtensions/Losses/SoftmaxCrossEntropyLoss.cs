using Microsoft.ML.DeepExtensions.Internals;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Losses;

/// <summary>
/// Softmax cross-entropy: multiclass log loss computed from the raw scores with a stable
/// log-softmax, optionally against smoothed labels. The default loss for multiclass classification.
/// </summary>
/// <remarks>
/// Formula: with K classes, <c>q_i = (1 - ε)·[i = y] + ε/K</c>: <c>ℓ = -mean(Σ_i q_i·log softmax(s)_i)</c>;
/// multiclass classification only (PyTorch's <c>CrossEntropyLoss</c>).
/// Paper (label smoothing): Szegedy, Vanhoucke, Ioffe, Shlens and Wojna, "Rethinking the Inception
/// Architecture for Computer Vision", CVPR 2016 (arXiv:1512.00567).
/// </remarks>
public sealed class SoftmaxCrossEntropyLoss : Loss
{
    /// <param name="labelSmoothing">
    /// The share ε of the target mass spread evenly over all classes. Must be in [0, 1). Defaults to 0 (no smoothing).
    /// </param>
    public SoftmaxCrossEntropyLoss(double labelSmoothing = 0) =>
        LabelSmoothing = HyperParameter.Require(labelSmoothing, labelSmoothing is >= 0 and < 1, "must be in [0, 1)");

    /// <summary>The share of the target mass spread evenly over all classes.</summary>
    public double LabelSmoothing { get; }

    /// <inheritdoc/>
    public override string Name => "softmax-cross-entropy";

    /// <inheritdoc/>
    public override bool Supports(PredictionTask task) => task == PredictionTask.MulticlassClassification;

    /// <inheritdoc/>
    public override Tensor Compute(Tensor output, Tensor target, PredictionTask task) =>
        Supports(task) ? nn.functional.cross_entropy(output, target, label_smoothing: LabelSmoothing) : throw Unsupported(task);
}
