using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Optimizers;

/// <summary>Adam: momentum on the gradient and on its square, with bias correction; the usual first choice.</summary>
/// <remarks>
/// Formula: at step t, <c>g ← g + λθ</c>; <c>m ← β₁·m + (1 - β₁)·g</c>; <c>v ← β₂·v + (1 - β₂)·g²</c>
/// (AMSGrad: <c>v̂ ← max(v̂, v)</c>, used in place of v); <c>θ ← θ - η·(m/(1 - β₁ᵗ)) / (√(v/(1 - β₂ᵗ)) + ε)</c>.
/// Papers: Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015 (arXiv:1412.6980);
/// Reddi, Kale and Kumar, "On the Convergence of Adam and Beyond", ICLR 2018 (AMSGrad).
/// </remarks>
public sealed class Adam : AdamBase
{
    /// <param name="learningRate">The step size η. Must be positive. Defaults to 0.001.</param>
    /// <param name="beta1">The decay β₁ of the gradient average. Must be in [0, 1). Defaults to 0.9.</param>
    /// <param name="beta2">The decay β₂ of the squared-gradient average. Must be in [0, 1). Defaults to 0.999.</param>
    /// <param name="epsilon">The term ε added to the denominator. Must be 0 or more. Defaults to 1e-8.</param>
    /// <param name="amsGrad">Whether to use the AMSGrad variant (the running maximum of v). Defaults to false.</param>
    /// <param name="weightDecay">The L2 penalty λ added to the gradient. Must be 0 or more. Defaults to 0.</param>
    public Adam(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, bool amsGrad = false, double weightDecay = 0)
        : base(learningRate, beta1, beta2, epsilon, amsGrad, weightDecay)
    {
    }

    /// <inheritdoc/>
    public override string Name => "adam";

    /// <inheritdoc/>
    public override optim.Optimizer Create(IEnumerable<Parameter> parameters) =>
        optim.Adam(parameters, LearningRate, Beta1, Beta2, Epsilon, WeightDecay, AmsGrad);
}
