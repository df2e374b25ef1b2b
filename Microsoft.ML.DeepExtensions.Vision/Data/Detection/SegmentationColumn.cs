using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Detection;

namespace Microsoft.ML.DeepExtensions.Vision.Data.Detection;

/// <summary>
/// The encoding of the <c>Segmentation</c> column of <see cref="DetectionDataView"/>: every object's outline of a
/// row in one variable-length vector of Single, and back, and from it one binary mask per object at the image's size
/// (what a Mask R-CNN trainer needs).
/// </summary>
/// <remarks>
/// For each object of the row, in the order of <c>Label</c>: the number of parts <c>P</c> (0 when the object has
/// no segmentation), then each part as a count <c>n</c> followed by its values:
/// <list type="bullet">
/// <item><c>n &gt; 0</c>: a polygon of <c>n</c> points, <c>2n</c> values x0 y0 x1 y1 ... in pixels;</item>
/// <item><c>n &lt; 0</c>: a run-length mask at the image's size, <c>-n</c> COCO run lengths (column-major,
/// background first; see <see cref="ObjectSegmentation"/>).</item>
/// </list>
/// A row of two objects, a triangle and an object without outline, is <c>1, 3, x0, y0, x1, y1, x2, y2, 0</c>.
/// Counts are exact in Single up to 2^24, so a run-length mask's image may have at most 16,777,216 pixels.
/// </remarks>
public static class SegmentationColumn
{
    private const long MaxExactInteger = 1 << 24;

    /// <summary>The column value of a row whose objects have these segmentations (null: none).</summary>
    public static float[] Encode(IReadOnlyList<ObjectSegmentation?> segmentations)
    {
        ArgumentNullException.ThrowIfNull(segmentations);
        var values = new List<float>();
        foreach (var s in segmentations)
        {
            if (s is null)
            {
                values.Add(0);
            }
            else if (s.RunLengths is { } runs)
            {
                if ((long)s.MaskWidth * s.MaskHeight > MaxExactInteger)
                    throw new ArgumentException($"A {s.MaskWidth}x{s.MaskHeight} run-length mask is too large for the Segmentation column (at most {MaxExactInteger} pixels).", nameof(segmentations));
                values.Add(1);
                values.Add(-runs.Count);
                values.AddRange(runs.Select(r => (float)r));
            }
            else
            {
                values.Add(s.Polygons.Count);
                foreach (var polygon in s.Polygons)
                {
                    values.Add(polygon.Length / 2);
                    values.AddRange(polygon);
                }
            }
        }
        return values.ToArray();
    }

    /// <summary>
    /// The segmentations a column value holds, one per object (null where an object has none).
    /// </summary>
    /// <param name="values">The row's <c>Segmentation</c> value.</param>
    /// <param name="objectCount">The row's number of objects (the length of its <c>Label</c>).</param>
    /// <param name="imageWidth">The image's width (the size of its run-length masks).</param>
    /// <param name="imageHeight">The image's height.</param>
    /// <exception cref="InvalidDataException">The value does not hold <paramref name="objectCount"/> objects in this encoding.</exception>
    public static ObjectSegmentation?[] Decode(ReadOnlySpan<float> values, int objectCount, int imageWidth, int imageHeight)
    {
        var result = new ObjectSegmentation?[objectCount];
        int p = 0;
        for (int o = 0; o < objectCount; o++)
        {
            int parts = Count(values, ref p, o);
            if (parts < 0)
                throw Bad(o, $"a negative number of parts ({parts})");
            var polygons = new List<float[]>();
            for (int k = 0; k < parts; k++)
            {
                int n = Count(values, ref p, o);
                int length = n > 0 ? 2 * n : -n;
                if (p + length > values.Length)
                    throw Bad(o, $"part {k} needs {length} values but only {values.Length - p} remain");
                var part = values.Slice(p, length);
                p += length;
                if (n < 0)
                {
                    if (parts != 1)
                        throw Bad(o, "a run-length mask must be the object's only part");
                    var runs = part.ToArray().Select(v => (long)v).ToArray();
                    if (ObjectSegmentation.RunLengthProblem(imageWidth, imageHeight, runs) is { } problem)
                        throw Bad(o, problem.TrimEnd('.'));
                    result[o] = ObjectSegmentation.FromRunLengths(imageWidth, imageHeight, runs);
                }
                else
                {
                    polygons.Add(part.ToArray());
                }
            }
            if (polygons.Count > 0)
            {
                if (polygons.FindIndex(p => p.Length < 6 || p.Any(v => !float.IsFinite(v))) is int bad and >= 0)
                    throw Bad(o, $"polygon {bad} has fewer than 3 points or a value that is not a finite number");
                result[o] = ObjectSegmentation.FromPolygons(polygons);
            }
        }
        if (p != values.Length)
            throw new InvalidDataException($"The Segmentation value holds {values.Length - p} values after the last of its {objectCount} objects; the row's Label and Segmentation disagree.");
        return result;
    }

    /// <summary>
    /// One binary mask per object of a row, at the image's size (an <see cref="InstanceMask"/> at (0, 0) of
    /// <paramref name="imageWidth"/> x <paramref name="imageHeight"/>, 1 where the object is), rasterized as
    /// <see cref="ObjectSegmentation.ToMask"/> does; null for an object without segmentation.
    /// </summary>
    /// <inheritdoc cref="Decode" path="/param"/>
    /// <inheritdoc cref="Decode" path="/exception"/>
    public static InstanceMask?[] ToMasks(VBuffer<float> values, int objectCount, int imageWidth, int imageHeight) =>
        Decode(values.DenseValues().ToArray(), objectCount, imageWidth, imageHeight).Select(s => s?.ToMask(imageWidth, imageHeight)).ToArray();

    private static int Count(ReadOnlySpan<float> values, ref int p, int o)
    {
        if (p >= values.Length)
            throw Bad(o, "the value ends before it");
        float v = values[p++];
        if (v != MathF.Round(v) || Math.Abs(v) > MaxExactInteger)
            throw Bad(o, $"count {v} is not an integer");
        return (int)v;
    }

    private static InvalidDataException Bad(int objectIndex, string what) =>
        new($"The Segmentation value is not in the column's encoding at object {objectIndex}: {what}.");
}
