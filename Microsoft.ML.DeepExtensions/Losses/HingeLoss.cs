using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Losses;

/// <summary>Hinge loss, the support-vector machine's margin loss: zero once a row is classified with margin 1.</summary>
/// <remarks>
/// Formula: binary, with <c>t = 2y - 1 ∈ {-1, 1}</c>: <c>ℓ = mean(max(0, 1 - t·s))</c>; multiclass with
/// K classes and true class <c>y</c>: <c>ℓ = mean(Σ_{i≠y} max(0, 1 - s_y + s_i) / K)</c> (PyTorch's
/// <c>MultiMarginLoss</c> with p = 1, margin = 1). Not for regression.
/// Papers: Cortes and Vapnik, "Support-Vector Networks", Machine Learning 20 (1995); Weston and
/// Watkins, "Support Vector Machines for Multi-Class Pattern Recognition", ESANN 1999.
/// </remarks>
public sealed class HingeLoss : Loss
{
    /// <inheritdoc/>
    public override string Name => "hinge";

    /// <inheritdoc/>
    public override bool Supports(PredictionTask task) => task != PredictionTask.Regression;

    /// <inheritdoc/>
    public override Tensor Compute(Tensor output, Tensor target, PredictionTask task) => task switch
    {
        PredictionTask.BinaryClassification => (1 - (2 * target - 1) * output).clamp_min(0).mean(),
        PredictionTask.MulticlassClassification => nn.functional.multi_margin_loss(output, target, p: 1, margin: 1),
        _ => throw Unsupported(task),
    };
}
