using System.Globalization;

namespace Microsoft.ML.DeepExtensions.Vision.Data.Detection;

/// <summary>
/// The rules every loaded box obeys: finite, a positive size, and inside the image. A box that pokes out of the
/// image by at most <see cref="DetectionDataset.BoxTolerance"/> pixels (rounding in annotation tools, VOC's
/// 1-based corners) is clipped to it; one further out is refused, since it means the annotation and the image
/// disagree (a wrong image, a wrong size, or normalized and pixel coordinates mixed up).
/// </summary>
internal static class DetectionBoxRules
{
    /// <summary>The box clipped to the image, or an <see cref="InvalidDataException"/> that starts with <paramref name="where"/>.</summary>
    public static (float X0, float Y0, float X1, float Y1) Clip(double x0, double y0, double x1, double y1, int width, int height, string where)
    {
        string box = string.Create(CultureInfo.InvariantCulture, $"({x0:G7}, {y0:G7}, {x1:G7}, {y1:G7})");
        if (!(double.IsFinite(x0) && double.IsFinite(y0) && double.IsFinite(x1) && double.IsFinite(y1)))
            throw new InvalidDataException($"{where}: box {box} holds a value that is not a finite number.");
        if (!(x1 > x0 && y1 > y0))
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{where}: box {box} has a non-positive size {x1 - x0:G7}x{y1 - y0:G7}; boxes are x0, y0, x1, y1 with x1 > x0 and y1 > y0."));
        double tolerance = DetectionDataset.BoxTolerance;
        if (x0 < -tolerance || y0 < -tolerance || x1 > width + tolerance || y1 > height + tolerance)
            throw new InvalidDataException(
                $"{where}: box {box} lies outside the {width}x{height} image by more than {tolerance} pixel (boxes are clipped only within that tolerance).");
        float cx0 = (float)Math.Clamp(x0, 0, width), cy0 = (float)Math.Clamp(y0, 0, height);
        float cx1 = (float)Math.Clamp(x1, 0, width), cy1 = (float)Math.Clamp(y1, 0, height);
        if (!(cx1 > cx0 && cy1 > cy0))
            throw new InvalidDataException($"{where}: box {box} has no area inside the {width}x{height} image.");
        return (cx0, cy0, cx1, cy1);
    }
}
