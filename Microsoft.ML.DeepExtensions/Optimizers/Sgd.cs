using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Optimizers;

/// <summary>Stochastic gradient descent: a step against the gradient, scaled by the learning rate.</summary>
/// <remarks>
/// Formula: <c>θ ← θ - η·(g + λθ)</c>.
/// Paper: Robbins and Monro, "A Stochastic Approximation Method", Annals of Mathematical Statistics 22 (1951).
/// </remarks>
public sealed class Sgd : Optimizer
{
    /// <param name="learningRate">The step size η. Must be positive. Defaults to 0.01.</param>
    /// <param name="weightDecay">The L2 penalty λ added to the gradient. Must be 0 or more. Defaults to 0.</param>
    public Sgd(double learningRate = 0.01, double weightDecay = 0)
        : base(learningRate, weightDecay)
    {
    }

    /// <inheritdoc/>
    public override string Name => "sgd";

    /// <inheritdoc/>
    public override optim.Optimizer Create(IEnumerable<Parameter> parameters) =>
        optim.SGD(parameters, LearningRate, weight_decay: WeightDecay);
}
