using Microsoft.ML.DeepExtensions.Internals;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Activations;

/// <summary>The leaky rectified linear unit: a ReLU whose negative side keeps a small slope, so no unit dies.</summary>
/// <remarks>
/// Formula: <c>f(x) = x</c> for <c>x &gt; 0</c>, else <c>slope · x</c>.
/// Paper: Maas, Hannun and Ng, "Rectifier Nonlinearities Improve Neural Network Acoustic Models", ICML 2013.
/// </remarks>
public sealed class LeakyReLU : Activation
{
    /// <param name="slope">The slope for negative inputs (PyTorch's <c>negative_slope</c>). Defaults to 0.01.</param>
    public LeakyReLU(double slope = 0.01) => Slope = HyperParameter.Finite(slope);

    /// <summary>The slope for negative inputs.</summary>
    public double Slope { get; }

    /// <inheritdoc/>
    public override string Name => "leaky-relu";

    /// <inheritdoc/>
    public override nn.Module<Tensor, Tensor> CreateModule() => nn.LeakyReLU(Slope);

    /// <inheritdoc/>
    public override Tensor Apply(Tensor input) => nn.functional.leaky_relu(input, Slope);
}
