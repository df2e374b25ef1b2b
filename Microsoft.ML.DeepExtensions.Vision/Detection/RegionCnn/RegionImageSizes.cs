using Microsoft.ML.Data;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;

/// <summary>
/// R-CNN's rule for its training images: each must be at least <c>WarpSize</c> pixels on both sides, since regions are
/// warped to <c>WarpSize x WarpSize</c> and a smaller image could only give its CNN blurred, enlarged pixels.
/// </summary>
internal static class RegionImageSizes
{
    /// <summary>Throws naming the first row whose image is smaller than <paramref name="warpSize"/> on a side.</summary>
    /// <param name="data">The training data.</param>
    /// <param name="imageColumn">Its image column.</param>
    /// <param name="warpSize">The warp side.</param>
    /// <param name="cancellation">Checked every 64 rows.</param>
    public static void CheckAtLeast(IDataView data, string imageColumn, int warpSize, CancellationToken cancellation)
    {
        var column = data.Schema[imageColumn];
        using var cursor = data.GetRowCursor(new[] { column });
        var getImage = cursor.GetGetter<MLImage>(column);
        MLImage? image = null;
        long row = 0;
        while (cursor.MoveNext())
        {
            row++;
            if ((row & 63) == 0)
                cancellation.ThrowIfCancellationRequested();
            try
            {
                getImage(ref image);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new InvalidOperationException($"Row {row} of the training data: the image in column '{imageColumn}' could not be read: {ex.Message}", ex);
            }
            if (image is null)
                continue;
            int width = image.Width, height = image.Height;
            image.Dispose();
            image = null;
            if (width < warpSize || height < warpSize)
                throw new InvalidDataException(
                    $"Row {row} of the training data: the image in column '{imageColumn}' is {width}x{height} pixels, smaller than WarpSize ({warpSize}) on a side. R-CNN warps regions to {warpSize}x{warpSize} pixels and needs images at least that large: lower WarpSize or leave such images out.");
        }
    }
}
