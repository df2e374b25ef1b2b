using Microsoft.ML.DeepExtensions.Vision.Detection;

namespace Microsoft.ML.DeepExtensions.Vision.Data.Detection;

/// <summary>
/// The outline of one object, as COCO stores it: either one or more polygons (COCO's <c>segmentation</c> list, or a
/// YOLO segment line), or a run-length encoded mask at the image's size (COCO's <c>{"counts", "size"}</c>, the
/// way crowd regions are stored). <see cref="ToMask"/> turns either into a binary mask at the image's size.
/// </summary>
/// <remarks>
/// <para>Polygons are in image pixels, x y x y ..., with the box convention of <see cref="DetectionObject"/>
/// (pixel <c>x</c> covers <c>[x, x + 1)</c>). A pixel belongs to the object when its centre
/// <c>(x + 0.5, y + 0.5)</c> lies inside one of the polygons (each filled with the even-odd rule; the mask is
/// their union). A polygon that traces the corners of a set of pixels therefore gives back exactly those
/// pixels, and its bounds are the pixels' tight box.</para>
/// <para>Run lengths are COCO's: the image's pixels in column-major order (down the first column, then the next),
/// alternating runs of background and object pixels, starting with background (a first run may be 0).</para>
/// </remarks>
public sealed class ObjectSegmentation
{
    private readonly float[][] _polygons;
    private readonly long[]? _runLengths;

    private ObjectSegmentation(float[][] polygons, long[]? runLengths, int maskWidth, int maskHeight)
    {
        _polygons = polygons;
        _runLengths = runLengths;
        MaskWidth = maskWidth;
        MaskHeight = maskHeight;
    }

    /// <summary>An outline made of polygons, each <c>x0 y0 x1 y1 ...</c> in pixels with at least 3 points.</summary>
    /// <exception cref="ArgumentException">No polygon, a polygon with an odd number of values or fewer than 3 points, or a value that is not finite.</exception>
    public static ObjectSegmentation FromPolygons(IEnumerable<IReadOnlyList<float>> polygons)
    {
        ArgumentNullException.ThrowIfNull(polygons);
        var copies = polygons.Select(p => (p ?? throw new ArgumentNullException(nameof(polygons))).ToArray()).ToArray();
        if (copies.Length == 0)
            throw new ArgumentException("A polygon segmentation needs at least one polygon, got none.", nameof(polygons));
        for (int i = 0; i < copies.Length; i++)
        {
            if (copies[i].Length % 2 != 0 || copies[i].Length < 6)
                throw new ArgumentException($"Polygon {i} must hold x y pairs of at least 3 points, got {copies[i].Length} values.", nameof(polygons));
            if (copies[i].Any(v => !float.IsFinite(v)))
                throw new ArgumentException($"Polygon {i} holds a value that is not a finite number.", nameof(polygons));
        }
        return new ObjectSegmentation(copies, null, 0, 0);
    }

    /// <summary>A mask as COCO's uncompressed run lengths at <paramref name="width"/> x <paramref name="height"/> (see remarks of the type).</summary>
    /// <exception cref="ArgumentException">A run is negative, or the runs do not add up to width x height.</exception>
    public static ObjectSegmentation FromRunLengths(int width, int height, IEnumerable<long> runLengths)
    {
        ArgumentNullException.ThrowIfNull(runLengths);
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(width <= 0 ? nameof(width) : nameof(height), $"Run-length mask size must be positive, got {width}x{height}.");
        var counts = runLengths.ToArray();
        if (RunLengthProblem(width, height, counts) is { } problem)
            throw new ArgumentException(problem, nameof(runLengths));
        return new ObjectSegmentation(Array.Empty<float[]>(), counts, width, height);
    }

    /// <summary>Why <paramref name="counts"/> are not run lengths of a <paramref name="width"/> x <paramref name="height"/> mask, or null when they are.</summary>
    internal static string? RunLengthProblem(int width, int height, long[] counts)
    {
        long total = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            if (counts[i] < 0)
                return $"Run {i} is negative ({counts[i]}); run lengths count pixels.";
            total += counts[i];
        }
        return total == (long)width * height ? null : $"Run lengths add up to {total} pixels, but a {width}x{height} mask has {(long)width * height}.";
    }

    /// <summary>The polygons (x y x y ... in pixels), empty for a run-length mask. Do not modify them.</summary>
    public IReadOnlyList<float[]> Polygons => _polygons;

    /// <summary>COCO's uncompressed run lengths, or null for polygons.</summary>
    public IReadOnlyList<long>? RunLengths => _runLengths;

    /// <summary>Width of the run-length mask (the image's), 0 for polygons.</summary>
    public int MaskWidth { get; }

    /// <summary>Height of the run-length mask (the image's), 0 for polygons.</summary>
    public int MaskHeight { get; }

    /// <summary>
    /// The object's binary mask at the image's size: an <see cref="InstanceMask"/> at (0, 0) of
    /// <paramref name="imageWidth"/> x <paramref name="imageHeight"/> pixels, 1 where the object is. Polygon parts
    /// outside the image are clipped.
    /// </summary>
    /// <exception cref="ArgumentException">A run-length mask of another size than the image.</exception>
    public InstanceMask ToMask(int imageWidth, int imageHeight)
    {
        if (imageWidth <= 0 || imageHeight <= 0)
            throw new ArgumentOutOfRangeException(imageWidth <= 0 ? nameof(imageWidth) : nameof(imageHeight), $"Image size must be positive, got {imageWidth}x{imageHeight}.");
        var pixels = new byte[imageWidth * imageHeight];
        if (_runLengths is not null)
        {
            if (MaskWidth != imageWidth || MaskHeight != imageHeight)
                throw new ArgumentException($"The run-length mask is {MaskWidth}x{MaskHeight}, the image {imageWidth}x{imageHeight}; COCO run lengths are at the image's size.");
            long position = 0;
            for (int run = 0; run < _runLengths.Length; run++)
            {
                if (run % 2 == 1)
                {
                    for (long i = position; i < position + _runLengths[run]; i++)
                        pixels[(int)(i % imageHeight) * imageWidth + (int)(i / imageHeight)] = 1;
                }
                position += _runLengths[run];
            }
        }
        else
        {
            foreach (var polygon in _polygons)
                PolygonRasterizer.Fill(polygon, pixels, imageWidth, imageHeight);
        }
        return new InstanceMask(0, 0, imageWidth, imageHeight, pixels);
    }

    /// <summary>The bounds of the polygons (x0, y0, x1, y1), or of the run-length mask's object pixels; null when the mask is empty.</summary>
    public (float X0, float Y0, float X1, float Y1)? Bounds()
    {
        if (_runLengths is null)
        {
            float x0 = float.MaxValue, y0 = float.MaxValue, x1 = float.MinValue, y1 = float.MinValue;
            foreach (var p in _polygons)
            {
                for (int i = 0; i < p.Length; i += 2)
                {
                    x0 = MathF.Min(x0, p[i]);
                    x1 = MathF.Max(x1, p[i]);
                    y0 = MathF.Min(y0, p[i + 1]);
                    y1 = MathF.Max(y1, p[i + 1]);
                }
            }
            return (x0, y0, x1, y1);
        }
        long position = 0;
        long minX = long.MaxValue, minY = long.MaxValue, maxX = -1, maxY = -1;
        for (int run = 0; run < _runLengths.Length; run++)
        {
            if (run % 2 == 1 && _runLengths[run] > 0)
            {
                long first = position, last = position + _runLengths[run] - 1;
                minX = Math.Min(minX, first / MaskHeight);
                maxX = Math.Max(maxX, last / MaskHeight);
                // A run that spans columns covers every row between its ends' rows, or the whole column.
                bool wholeColumn = last / MaskHeight > first / MaskHeight;
                minY = Math.Min(minY, wholeColumn ? 0 : first % MaskHeight);
                maxY = Math.Max(maxY, wholeColumn ? MaskHeight - 1 : last % MaskHeight);
            }
            position += _runLengths[run];
        }
        return maxX < 0 ? null : (minX, minY, maxX + 1, maxY + 1);
    }
}
