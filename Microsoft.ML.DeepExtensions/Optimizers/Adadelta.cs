using Microsoft.ML.DeepExtensions.Internals;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Optimizers;

/// <summary>Adadelta: Adagrad with decaying averages, whose step has the units of the weights.</summary>
/// <remarks>
/// Formula: <c>g ← g + λθ</c>; <c>E[g²] ← ρ·E[g²] + (1 - ρ)·g²</c>;
/// <c>Δ = √(E[Δ²] + ε) / √(E[g²] + ε) · g</c>; <c>E[Δ²] ← ρ·E[Δ²] + (1 - ρ)·Δ²</c>; <c>θ ← θ - η·Δ</c>.
/// Paper: Zeiler, "ADADELTA: An Adaptive Learning Rate Method", arXiv:1212.5701 (2012).
/// </remarks>
public sealed class Adadelta : Optimizer
{
    /// <param name="learningRate">The factor η applied to every step. Must be positive. Defaults to 1.0.</param>
    /// <param name="rho">The decay ρ of the running averages. Must be in [0, 1]. Defaults to 0.9.</param>
    /// <param name="epsilon">The term ε added inside the square roots. Must be 0 or more. Defaults to 1e-6.</param>
    /// <param name="weightDecay">The L2 penalty λ added to the gradient. Must be 0 or more. Defaults to 0.</param>
    public Adadelta(double learningRate = 1.0, double rho = 0.9, double epsilon = 1e-6, double weightDecay = 0)
        : base(learningRate, weightDecay)
    {
        Rho = HyperParameter.Require(rho, rho is >= 0 and <= 1, "must be in [0, 1]");
        Epsilon = HyperParameter.NonNegative(epsilon);
    }

    /// <summary>The decay of the running averages.</summary>
    public double Rho { get; }

    /// <summary>The term added inside the square roots.</summary>
    public double Epsilon { get; }

    /// <inheritdoc/>
    public override string Name => "adadelta";

    /// <inheritdoc/>
    public override optim.Optimizer Create(IEnumerable<Parameter> parameters) =>
        optim.Adadelta(parameters, LearningRate, Rho, Epsilon, WeightDecay);
}
