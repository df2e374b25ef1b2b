using System.Globalization;
using Microsoft.ML.DeepExtensions.Internals;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Optimizers;

/// <summary>
/// Gradient descent with momentum (registry name <c>momentum</c>): steps along a running sum of
/// past gradients, which damps oscillation and speeds travel along shallow valleys.
/// </summary>
/// <remarks>
/// Formula: <c>g ← g + λθ</c>; <c>v ← μ·v + (1 - τ)·g</c> (<c>v = g</c> on the first step);
/// <c>θ ← θ - η·v</c>, or with Nesterov <c>θ ← θ - η·(g + μ·v)</c> (PyTorch's <c>SGD</c> with momentum).
/// Papers: Polyak, "Some methods of speeding up the convergence of iteration methods", USSR
/// Computational Mathematics and Mathematical Physics 4 (1964); Sutskever, Martens, Dahl and Hinton,
/// "On the importance of initialization and momentum in deep learning", ICML 2013 (Nesterov form).
/// </remarks>
public sealed class MomentumSgd : Optimizer
{
    /// <param name="learningRate">The step size η. Must be positive. Defaults to 0.01.</param>
    /// <param name="momentum">The momentum factor μ. Must be 0 or more. Defaults to 0.9.</param>
    /// <param name="nesterov">Whether to use Nesterov momentum, which needs zero dampening. Defaults to false.</param>
    /// <param name="dampening">The dampening τ of the gradient added to the velocity. Must be in [0, 1]. Defaults to 0.</param>
    /// <param name="weightDecay">The L2 penalty λ added to the gradient. Must be 0 or more. Defaults to 0.</param>
    public MomentumSgd(double learningRate = 0.01, double momentum = 0.9, bool nesterov = false, double dampening = 0, double weightDecay = 0)
        : base(learningRate, weightDecay)
    {
        Momentum = HyperParameter.NonNegative(momentum);
        Dampening = HyperParameter.Require(dampening, dampening is >= 0 and <= 1, "must be in [0, 1]");
        if (nesterov && (momentum == 0 || dampening != 0))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Nesterov momentum needs a positive momentum and zero dampening, got momentum {momentum} and dampening {dampening}."), nameof(nesterov));
        Nesterov = nesterov;
    }

    /// <summary>The momentum factor μ.</summary>
    public double Momentum { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    /// <summary>The dampening τ of the gradient added to the velocity.</summary>
    public double Dampening { get; }

    /// <inheritdoc/>
    public override string Name => "momentum";

    /// <inheritdoc/>
    public override optim.Optimizer Create(IEnumerable<Parameter> parameters) =>
        optim.SGD(parameters, LearningRate, Momentum, Dampening, WeightDecay, Nesterov);
}
