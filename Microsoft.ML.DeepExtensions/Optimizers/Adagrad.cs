using Microsoft.ML.DeepExtensions.Internals;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Optimizers;

/// <summary>Adagrad: per-weight learning rates that shrink with the sum of that weight's squared gradients.</summary>
/// <remarks>
/// Formula: at step t, <c>g ← g + λθ</c>; <c>G ← G + g²</c> (G starts at the initial accumulator);
/// <c>θ ← θ - η/(1 + (t - 1)·d) · g/(√G + ε)</c>.
/// Paper: Duchi, Hazan and Singer, "Adaptive Subgradient Methods for Online Learning and Stochastic Optimization", JMLR 12 (2011).
/// </remarks>
public sealed class Adagrad : Optimizer
{
    /// <param name="learningRate">The step size η. Must be positive. Defaults to 0.01.</param>
    /// <param name="initialAccumulator">The starting value of every sum of squared gradients G. Must be 0 or more. Defaults to 0.</param>
    /// <param name="epsilon">The term ε added to the denominator for stability. Must be 0 or more. Defaults to 1e-10.</param>
    /// <param name="learningRateDecay">The decay d of the step size per step. Must be 0 or more. Defaults to 0.</param>
    /// <param name="weightDecay">The L2 penalty λ added to the gradient. Must be 0 or more. Defaults to 0.</param>
    public Adagrad(double learningRate = 0.01, double initialAccumulator = 0, double epsilon = 1e-10, double learningRateDecay = 0, double weightDecay = 0)
        : base(learningRate, weightDecay)
    {
        InitialAccumulator = HyperParameter.NonNegative(initialAccumulator);
        Epsilon = HyperParameter.NonNegative(epsilon);
        LearningRateDecay = HyperParameter.NonNegative(learningRateDecay);
    }

    /// <summary>The starting value of every sum of squared gradients.</summary>
    public double InitialAccumulator { get; }

    /// <summary>The term added to the denominator for stability.</summary>
    public double Epsilon { get; }

    /// <summary>The decay of the step size per step.</summary>
    public double LearningRateDecay { get; }

    /// <inheritdoc/>
    public override string Name => "adagrad";

    /// <inheritdoc/>
    public override optim.Optimizer Create(IEnumerable<Parameter> parameters) =>
        optim.Adagrad(parameters, LearningRate, LearningRateDecay, WeightDecay, InitialAccumulator, Epsilon);
}
