namespace Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;

/// <summary>
/// How a network wants its 8-bit pixels: channel <c>c</c> (R, G, B) of a pixel becomes <c>byte · Scale[c] + Offset[c]</c>.
/// </summary>
internal sealed class PixelNormalization
{
    private PixelNormalization(float[] scale, float[] offset)
    {
        Scale = scale;
        Offset = offset;
    }

    /// <summary>RGB / 255, the 0..1 pixels YOLO exports read.</summary>
    public static PixelNormalization UnitRange { get; } = new(new[] { 1 / 255f, 1 / 255f, 1 / 255f }, new float[3]);

    /// <summary>Per channel, R, G, B.</summary>
    public float[] Scale { get; }

    /// <summary>Per channel, R, G, B.</summary>
    public float[] Offset { get; }

    /// <summary>
    /// <c>(byte / 255 - mean[c]) / std[c]</c>, torchvision's <c>Normalize</c> after <c>ToTensor</c>, written as one multiply-add:
    /// <c>byte · 1 / (255 · std[c]) - mean[c] / std[c]</c>.
    /// </summary>
    /// <exception cref="ArgumentException">Not 3 values each, or a standard deviation that is not positive.</exception>
    public static PixelNormalization MeanStd(IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Count != 3 || std.Count != 3)
            throw new ArgumentException($"Mean and standard deviation need 3 values each (R, G, B), got {mean.Count} and {std.Count}.");
        var scale = new float[3];
        var offset = new float[3];
        for (int c = 0; c < 3; c++)
        {
            if (!(std[c] > 0))
                throw new ArgumentException($"Standard deviations must be positive, got {std[c]} for channel {c}.", nameof(std));
            scale[c] = 1 / (255 * std[c]);
            offset[c] = -mean[c] / std[c];
        }
        return new PixelNormalization(scale, offset);
    }

    /// <summary>The value channel <paramref name="channel"/> of a pixel of value <paramref name="value"/> becomes.</summary>
    public float Apply(int channel, float value) => value * Scale[channel] + Offset[channel];
}
