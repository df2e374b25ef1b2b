using Microsoft.ML.DeepExtensions.Internals;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Optimizers;

/// <summary>RMSProp: divides each gradient by a running root mean square of that weight's recent gradients.</summary>
/// <remarks>
/// Formula: <c>g ← g + λθ</c>; <c>v ← α·v + (1 - α)·g²</c>; <c>d = √v + ε</c>, or centered
/// <c>m ← α·m + (1 - α)·g</c>, <c>d = √(v - m²) + ε</c>; then <c>θ ← θ - η·g/d</c>, or with momentum
/// <c>b ← μ·b + g/d</c>, <c>θ ← θ - η·b</c>.
/// Papers: Tieleman and Hinton, "Lecture 6.5 - RMSProp", COURSERA: Neural Networks for Machine Learning
/// (2012); Graves, "Generating Sequences With Recurrent Neural Networks", arXiv:1308.0850 (2013) (centered).
/// </remarks>
public sealed class RmsProp : Optimizer
{
    /// <param name="learningRate">The step size η. Must be positive. Defaults to 0.01.</param>
    /// <param name="alpha">The decay α of the running averages. Must be 0 or more. Defaults to 0.99.</param>
    /// <param name="epsilon">The term ε added to the denominator. Must be 0 or more. Defaults to 1e-8.</param>
    /// <param name="momentum">The momentum factor μ. Must be 0 or more. Defaults to 0.</param>
    /// <param name="centered">Whether to divide by the estimated standard deviation rather than the root mean square. Defaults to false.</param>
    /// <param name="weightDecay">The L2 penalty λ added to the gradient. Must be 0 or more. Defaults to 0.</param>
    public RmsProp(double learningRate = 0.01, double alpha = 0.99, double epsilon = 1e-8, double momentum = 0, bool centered = false, double weightDecay = 0)
        : base(learningRate, weightDecay)
    {
        Alpha = HyperParameter.NonNegative(alpha);
        Epsilon = HyperParameter.NonNegative(epsilon);
        Momentum = HyperParameter.NonNegative(momentum);
        Centered = centered;
    }

    /// <summary>The decay of the running averages.</summary>
    public double Alpha { get; }

    /// <summary>The term added to the denominator.</summary>
    public double Epsilon { get; }

    /// <summary>The momentum factor.</summary>
    public double Momentum { get; }

    /// <summary>Whether the gradient is divided by the estimated standard deviation rather than the root mean square.</summary>
    public bool Centered { get; }

    /// <inheritdoc/>
    public override string Name => "rmsprop";

    /// <inheritdoc/>
    public override optim.Optimizer Create(IEnumerable<Parameter> parameters) =>
        optim.RMSProp(parameters, LearningRate, Alpha, Epsilon, WeightDecay, Momentum, Centered);
}
