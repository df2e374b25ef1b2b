namespace Microsoft.ML.DeepExtensions.Vision.Data.Detection;

/// <summary>
/// One labelled object of a detection data set: its 0-based class, its box (x0, y0, x1, y1 in the image's
/// pixels, x to the right and y down, a pixel <c>x</c> covering <c>[x, x + 1)</c>, so a box that covers pixel
/// columns 3..7 is <c>x0 = 3, x1 = 8</c>; x1 &gt; x0, y1 &gt; y0), whether it is a crowd region (COCO's
/// <c>iscrowd</c>, VOC's <c>difficult</c>: the metrics ignore it), and its segmentation when the data set has one.
/// </summary>
public sealed class DetectionObject
{
    /// <param name="classIndex">0-based class index into <see cref="DetectionDataset.ClassNames"/>.</param>
    /// <param name="x0">Left edge, in pixels.</param>
    /// <param name="y0">Top edge, in pixels.</param>
    /// <param name="x1">Right edge, in pixels; greater than <paramref name="x0"/>.</param>
    /// <param name="y1">Bottom edge, in pixels; greater than <paramref name="y0"/>.</param>
    /// <param name="isCrowd">A crowd (or VOC "difficult") region, ignored by the metrics. Defaults to false.</param>
    /// <param name="segmentation">The object's outline or mask, or null. Defaults to null.</param>
    public DetectionObject(int classIndex, float x0, float y0, float x1, float y1, bool isCrowd = false, ObjectSegmentation? segmentation = null)
    {
        if (classIndex < 0)
            throw new ArgumentOutOfRangeException(nameof(classIndex), $"Class indices are 0-based and cannot be negative, got {classIndex}.");
        if (!(float.IsFinite(x0) && float.IsFinite(y0) && float.IsFinite(x1) && float.IsFinite(y1)))
            throw new ArgumentException($"Box ({x0}, {y0}, {x1}, {y1}) must hold finite numbers.");
        if (!(x1 > x0 && y1 > y0))
            throw new ArgumentException($"Box ({x0}, {y0}, {x1}, {y1}) must have a positive size (x1 > x0 and y1 > y0).");
        ClassIndex = classIndex;
        X0 = x0;
        Y0 = y0;
        X1 = x1;
        Y1 = y1;
        IsCrowd = isCrowd;
        Segmentation = segmentation;
    }

    /// <summary>0-based class index into <see cref="DetectionDataset.ClassNames"/>.</summary>
    public int ClassIndex { get; }

    public float X0 { get; }

    public float Y0 { get; }

    public float X1 { get; }

    public float Y1 { get; }

    /// <summary>Whether this is a crowd (COCO) or difficult (VOC) region, which the metrics ignore.</summary>
    public bool IsCrowd { get; }

    /// <summary>The object's polygons or run-length mask, or null when the data set has none for it.</summary>
    public ObjectSegmentation? Segmentation { get; }

    public float Width => X1 - X0;

    public float Height => Y1 - Y0;

    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"class {ClassIndex} ({X0}, {Y0}, {X1}, {Y1}){(IsCrowd ? " crowd" : "")}");
}
