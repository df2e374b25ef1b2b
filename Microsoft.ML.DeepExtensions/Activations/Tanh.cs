using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Activations;

/// <summary>The hyperbolic tangent: a zero-centred sigmoid with values in (-1, 1).</summary>
/// <remarks>
/// Formula: <c>tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x)) = 2σ(2x) - 1</c>; <c>tanh'(x) = 1 - tanh²(x)</c>.
/// Paper: LeCun, Bottou, Orr and Müller, "Efficient BackProp", Neural Networks: Tricks of the Trade (1998).
/// </remarks>
public sealed class Tanh : Activation
{
    /// <inheritdoc/>
    public override string Name => "tanh";

    /// <inheritdoc/>
    public override nn.Module<Tensor, Tensor> CreateModule() => nn.Tanh();

    /// <inheritdoc/>
    public override Tensor Apply(Tensor input) => input.tanh();
}
