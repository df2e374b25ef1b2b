using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// <c>[dropout]</c>: while training, zeroes each value with probability <c>probability</c> (default 0.5) and scales the
/// rest by <c>1 / (1 - probability)</c>, as Darknet does; the identity when scoring.
/// </summary>
public sealed class DarknetDropoutLayer : DarknetLayer
{
    internal DarknetDropoutLayer(int index, DarknetSection section, DarknetShape input)
        : base("DarknetDropout", index, section, input)
    {
        Probability = section.GetFloat("probability", 0.5f);
        if (Probability < 0 || Probability >= 1)
            throw section.Error("probability", $"'probability' must be in [0, 1), got {Probability}.");
    }

    /// <summary>The probability of dropping a value.</summary>
    public float Probability { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, IReadOnlyList<Tensor?> outputs) =>
        training ? nn.functional.dropout(input, Probability, training: true) : input.alias();
}
