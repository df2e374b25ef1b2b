namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>Formats and checks the per-example shapes that flow between layers: <c>[C, H, W]</c> or <c>[features]</c>.</summary>
internal static class ImageShape
{
    /// <summary><c>3×224×224</c>.</summary>
    public static string Format(IEnumerable<long> shape) => string.Join("×", shape);

    /// <summary><c>(3, 224, 224)</c>, as the summary prints shapes.</summary>
    public static string Tuple(IEnumerable<long> shape) => "(" + string.Join(", ", shape) + ")";

    /// <summary>The input as (C, H, W), or a <see cref="LayerShapeException"/> saying the layer needs an image.</summary>
    public static (long Channels, long Height, long Width) RequireImage(long[] input)
    {
        if (input.Length != 3)
            throw new LayerShapeException($"needs a C×H×W input, got {Tuple(input)}");
        return (input[0], input[1], input[2]);
    }
}
