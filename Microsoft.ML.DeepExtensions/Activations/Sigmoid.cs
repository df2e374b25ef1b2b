using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Activations;

/// <summary>The logistic sigmoid: squashes any input into (0, 1).</summary>
/// <remarks>
/// Formula: <c>σ(x) = 1 / (1 + exp(-x))</c>; <c>σ'(x) = σ(x)(1 - σ(x))</c>.
/// Paper: Rumelhart, Hinton and Williams, "Learning representations by back-propagating errors", Nature 323 (1986).
/// </remarks>
public sealed class Sigmoid : Activation
{
    /// <inheritdoc/>
    public override string Name => "sigmoid";

    /// <inheritdoc/>
    public override nn.Module<Tensor, Tensor> CreateModule() => nn.Sigmoid();

    /// <inheritdoc/>
    public override Tensor Apply(Tensor input) => input.sigmoid();
}
