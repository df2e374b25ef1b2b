namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>Argument checks shared by the layer constructors, with messages that name the option and the rule.</summary>
internal static class LayerArguments
{
    public static int Positive(int value, string parameter, string option) => value > 0
        ? value
        : throw new ArgumentOutOfRangeException(parameter, $"{option} must be positive, got {value}.");

    public static int NotNegative(int value, string parameter, string option) => value >= 0
        ? value
        : throw new ArgumentOutOfRangeException(parameter, $"{option} must be zero or positive, got {value}.");

    /// <summary>PyTorch's pooling rule: padding at most half the kernel, so no window lies entirely in the padding.</summary>
    public static int PoolPadding(int padding, int kernelSize, string parameter)
    {
        NotNegative(padding, parameter, "Padding");
        return 2 * padding <= kernelSize
            ? padding
            : throw new ArgumentOutOfRangeException(parameter, $"Padding must be at most half the kernel size ({kernelSize}), got {padding}.");
    }

    public static double Probability(double rate, string parameter, string option) => rate is >= 0 and < 1
        ? rate
        : throw new ArgumentOutOfRangeException(parameter, $"{option} must be in [0, 1), got {rate}.");

    public static double PositiveFinite(double value, string parameter, string option) => double.IsFinite(value) && value > 0
        ? value
        : throw new ArgumentOutOfRangeException(parameter, $"{option} must be a positive finite number, got {value}.");

    public static double NotNegativeFinite(double value, string parameter, string option) => double.IsFinite(value) && value >= 0
        ? value
        : throw new ArgumentOutOfRangeException(parameter, $"{option} must be a finite number of at least 0, got {value}.");
}
