namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// A segmentation: one region label per pixel (row-major), labels 0 .. <see cref="RegionCount"/> - 1 numbered in the
/// order their first pixel appears in raster order, as OpenCV's graph segmentation numbers them.
/// </summary>
/// <param name="Labels">The label of each pixel, <c>Width · Height</c> values.</param>
/// <param name="Width">Image width in pixels.</param>
/// <param name="Height">Image height in pixels.</param>
/// <param name="RegionCount">Number of regions.</param>
public sealed record RegionLabels(int[] Labels, int Width, int Height, int RegionCount)
{
    /// <summary>The label of pixel (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public int this[int x, int y] => Labels[y * Width + x];
}
