using Microsoft.ML.DeepExtensions.Internals;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Activations;

/// <summary>The exponential linear unit: identity for positive inputs, a smooth exponential saturating at <c>-alpha</c> for negative ones.</summary>
/// <remarks>
/// Formula: <c>f(x) = x</c> for <c>x &gt; 0</c>, else <c>alpha · (exp(x) - 1)</c>.
/// Paper: Clevert, Unterthiner and Hochreiter, "Fast and Accurate Deep Network Learning by Exponential Linear Units (ELUs)", ICLR 2016 (arXiv:1511.07289).
/// </remarks>
public sealed class Elu : Activation
{
    /// <param name="alpha">The negative saturation value. Must be 0 or more. Defaults to 1.0.</param>
    public Elu(double alpha = 1.0) => Alpha = HyperParameter.Require(alpha, alpha >= 0 && double.IsFinite(alpha), "must be a finite number, 0 or more");

    /// <summary>The negative saturation value.</summary>
    public double Alpha { get; }

    /// <inheritdoc/>
    public override string Name => "elu";

    /// <inheritdoc/>
    public override nn.Module<Tensor, Tensor> CreateModule() => nn.ELU(Alpha);

    /// <inheritdoc/>
    public override Tensor Apply(Tensor input) => nn.functional.elu(input, Alpha);
}
