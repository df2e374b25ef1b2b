namespace Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;

/// <summary>
/// R-CNN's rule for its training images: each must be at least <c>WarpSize</c> pixels on both sides, since regions are
/// warped to <c>WarpSize x WarpSize</c> and a smaller image could only give its CNN blurred, enlarged pixels.
/// </summary>
internal static class RegionImageSizes
{
    /// <summary>A check of each training image (row from 1, width, height) that throws naming the row, the column and the option.</summary>
    /// <param name="imageColumn">The image column.</param>
    /// <param name="warpSize">The warp side.</param>
    public static Action<long, int, int> AtLeast(string imageColumn, int warpSize) => (row, width, height) =>
    {
        if (width < warpSize || height < warpSize)
            throw new InvalidDataException(
                $"Row {row} of the training data: the image in column '{imageColumn}' is {width}x{height} pixels, smaller than WarpSize ({warpSize}) on a side. R-CNN warps regions to {warpSize}x{warpSize} pixels and needs images at least that large: lower WarpSize or leave such images out.");
    };
}
