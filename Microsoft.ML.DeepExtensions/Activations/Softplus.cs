using Microsoft.ML.DeepExtensions.Internals;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Activations;

/// <summary>Softplus: a smooth ReLU whose derivative is the sigmoid.</summary>
/// <remarks>
/// Formula: <c>f(x) = log(1 + exp(beta · x)) / beta</c>, and <c>f(x) = x</c> where <c>beta · x &gt; threshold</c> (for numerical stability, as PyTorch).
/// Paper: Dugas, Bengio, Bélisle, Nadeau and Garcia, "Incorporating Second-Order Functional Knowledge for Better Option Pricing", NIPS 2000.
/// </remarks>
public sealed class Softplus : Activation
{
    /// <param name="beta">The sharpness: larger is closer to ReLU. Must be positive. Defaults to 1.</param>
    /// <param name="threshold">Above this value of <c>beta · x</c> the function is linear. Defaults to 20.</param>
    public Softplus(double beta = 1, double threshold = 20)
    {
        Beta = HyperParameter.Require(beta, beta > 0 && double.IsFinite(beta), "must be a finite positive number");
        Threshold = HyperParameter.Finite(threshold);
    }

    /// <summary>The sharpness: larger is closer to ReLU.</summary>
    public double Beta { get; }

    /// <summary>Above this value of <c>beta · x</c> the function is linear.</summary>
    public double Threshold { get; }

    /// <inheritdoc/>
    public override string Name => "softplus";

    /// <inheritdoc/>
    public override nn.Module<Tensor, Tensor> CreateModule() => nn.Softplus(Beta, Threshold);

    /// <inheritdoc/>
    public override Tensor Apply(Tensor input) => nn.functional.softplus(input, Beta, Threshold);
}
