namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// The output size of a Darknet layer for one image, as Darknet's layer table prints it. Layers with a flat
/// output (<c>[connected]</c>, <c>[avgpool]</c>) are <c>C x 1 x 1</c>, and their tensors are <c>[N, C, 1, 1]</c>.
/// </summary>
/// <param name="Channels">C.</param>
/// <param name="Height">H.</param>
/// <param name="Width">W.</param>
public readonly record struct DarknetShape(int Channels, int Height, int Width)
{
    /// <summary>C·H·W, Darknet's <c>outputs</c>.</summary>
    public long Size => (long)Channels * Height * Width;

    /// <summary>The shape of a batch of <paramref name="batch"/> such outputs: <c>[N, C, H, W]</c>.</summary>
    public long[] WithBatch(long batch) => new[] { batch, Channels, Height, Width };

    public override string ToString() => $"{Width} x {Height} x {Channels}";
}
