using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>
/// Batch normalization: standardizes each channel (or feature) with the batch's mean and variance
/// while training, and with running averages of them when scoring, then scales and shifts it by
/// learned <c>γ</c> and <c>β</c>.
/// </summary>
/// <remarks>
/// Formula: <c>y = γ · (x - μ) / sqrt(σ² + ε) + β</c>, with <c>μ</c> and <c>σ²</c> over the batch and
/// the spatial positions of each channel; running estimates are updated as
/// <c>r ← (1 - momentum)·r + momentum·batch</c>. Weights: <c>2·C</c> trainable (<c>γ</c>, <c>β</c>) plus
/// <c>2·C</c> running statistics (not trainable). Works on <c>[C, H, W]</c> and on <c>[features]</c>.
/// Paper: Ioffe and Szegedy, "Batch Normalization", ICML 2015.
/// </remarks>
public sealed class BatchNormalization : Layer
{
    /// <param name="epsilon">Added to the variance for numerical stability. Defaults to 1e-5 (GoogLeNet uses 1e-3).</param>
    /// <param name="momentum">Weight of the current batch in the running statistics. Defaults to 0.1.</param>
    public BatchNormalization(double epsilon = 1e-5, double momentum = 0.1)
    {
        Epsilon = LayerArguments.PositiveFinite(epsilon, nameof(epsilon), "Epsilon");
        Momentum = momentum is >= 0 and <= 1
            ? momentum
            : throw new ArgumentOutOfRangeException(nameof(momentum), $"Momentum must be in [0, 1], got {momentum}.");
    }

    public double Epsilon { get; }

    public double Momentum { get; }

    /// <inheritdoc/>
    public override string Description => "batch normalization";

    private protected override long[] LeafOutputShape(long[] input) => input.Length is 1 or 3
        ? input
        : throw new LayerShapeException($"needs a C×H×W or a flat input, got {ImageShape.Tuple(input)}");

    private protected override (long Trainable, long Buffers) LeafParameters(long[] input) => (2 * input[0], 2 * input[0]);

    internal override nn.Module<Tensor, Tensor> CreateModule(long[] input, Device? device) => input.Length == 3
        ? nn.BatchNorm2d(input[0], Epsilon, Momentum, device: device)
        : nn.BatchNorm1d(input[0], Epsilon, Momentum, device: device);
}
