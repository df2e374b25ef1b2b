using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>
/// A fully connected (dense) layer: every output is a weighted sum of every input feature plus a bias;
/// the last one of a classifier gives one score per class (cheat sheet: "computes the class scores").
/// </summary>
/// <remarks>
/// Formula: <c>y = W·x + b</c>, <c>W</c> of shape <c>[units, features]</c>. Weights: <c>features · units + units</c>.
/// Needs a flat <c>[features]</c> input: put a <see cref="Flatten"/> or <see cref="GlobalAveragePooling"/> before it.
/// </remarks>
public sealed class FullyConnected : Layer
{
    /// <param name="units">Output features.</param>
    /// <param name="bias">Whether to add a bias. Defaults to true.</param>
    public FullyConnected(int units, bool bias = true)
    {
        Units = LayerArguments.Positive(units, nameof(units), "Units");
        Bias = bias;
    }

    public int Units { get; }

    public bool Bias { get; }

    /// <inheritdoc/>
    public override string Description => $"fully connected {Units}";

    private protected override long[] LeafOutputShape(long[] input) => input.Length == 1
        ? new long[] { Units }
        : throw new LayerShapeException($"needs a flat input (put a Flatten or GlobalAveragePooling before it), got {ImageShape.Tuple(input)}");

    private protected override (long Trainable, long Buffers) LeafParameters(long[] input) => (input[0] * Units + (Bias ? Units : 0), 0);

    private protected override long LeafMultiplyAdds(long[] input, long[] output) => input[0] * Units;

    internal override nn.Module<Tensor, Tensor> CreateModule(long[] input, Device? device) => nn.Linear(input[0], Units, Bias, device: device);
}
