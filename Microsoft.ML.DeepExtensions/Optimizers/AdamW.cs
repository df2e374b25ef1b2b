using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Optimizers;

/// <summary>AdamW: Adam whose weight decay shrinks the weights directly instead of entering the gradient averages.</summary>
/// <remarks>
/// Formula: at step t, <c>θ ← θ - η·λ·θ</c>; then Adam's update without λ in the gradient:
/// <c>m ← β₁·m + (1 - β₁)·g</c>; <c>v ← β₂·v + (1 - β₂)·g²</c>; <c>θ ← θ - η·(m/(1 - β₁ᵗ)) / (√(v/(1 - β₂ᵗ)) + ε)</c>.
/// Paper: Loshchilov and Hutter, "Decoupled Weight Decay Regularization", ICLR 2019 (arXiv:1711.05101).
/// </remarks>
public sealed class AdamW : AdamBase
{
    /// <param name="learningRate">The step size η. Must be positive. Defaults to 0.001.</param>
    /// <param name="beta1">The decay β₁ of the gradient average. Must be in [0, 1). Defaults to 0.9.</param>
    /// <param name="beta2">The decay β₂ of the squared-gradient average. Must be in [0, 1). Defaults to 0.999.</param>
    /// <param name="epsilon">The term ε added to the denominator. Must be 0 or more. Defaults to 1e-8.</param>
    /// <param name="amsGrad">Whether to use the AMSGrad variant (the running maximum of v). Defaults to false.</param>
    /// <param name="weightDecay">The decoupled weight decay λ. Must be 0 or more. Defaults to 0.01, as PyTorch.</param>
    public AdamW(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, bool amsGrad = false, double weightDecay = 0.01)
        : base(learningRate, beta1, beta2, epsilon, amsGrad, weightDecay)
    {
    }

    /// <inheritdoc/>
    public override string Name => "adamw";

    /// <inheritdoc/>
    public override optim.Optimizer Create(IEnumerable<Parameter> parameters) =>
        optim.AdamW(parameters, LearningRate, Beta1, Beta2, Epsilon, WeightDecay, AmsGrad);
}
