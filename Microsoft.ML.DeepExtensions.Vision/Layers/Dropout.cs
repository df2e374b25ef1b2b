using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>
/// Dropout: while training, zeroes each value with probability <see cref="Rate"/> and scales the rest
/// by <c>1 / (1 - rate)</c>, so no unit can rely on another; when scoring it passes values through.
/// </summary>
/// <remarks>
/// Formula (training): <c>y = x · m / (1 - rate)</c>, <c>m ~ Bernoulli(1 - rate)</c> per value. No weights.
/// Paper: Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from Overfitting", JMLR 2014.
/// </remarks>
public sealed class Dropout : Layer
{
    /// <param name="rate">Probability of zeroing a value, in [0, 1). Defaults to 0.5.</param>
    public Dropout(double rate = 0.5) => Rate = LayerArguments.Probability(rate, nameof(rate), "Rate");

    public double Rate { get; }

    /// <inheritdoc/>
    public override string Description => $"dropout {Rate}";

    private protected override long[] LeafOutputShape(long[] input) => input;

    internal override nn.Module<Tensor, Tensor> CreateModule(long[] input, Device? device) => nn.Dropout(Rate);
}
