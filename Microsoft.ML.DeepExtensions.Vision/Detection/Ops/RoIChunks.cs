namespace Microsoft.ML.DeepExtensions.Vision.Detection.Ops;

/// <summary>
/// Splits the RoIs of one call into chunks so that the temporary tensors of a chunk stay under
/// <see cref="MaxChunkElements"/> elements. Each RoI needs an extent per axis (sampling points for RoIAlign, bin
/// size for RoIPool); a chunk lays out every RoI at the chunk's largest extents, so when extents differ the
/// RoIs are visited by increasing extent and similar RoIs share a chunk (little padding).
/// </summary>
internal static class RoIChunks
{
    /// <summary>
    /// Upper bound on the elements laid out per chunk: 2^22. For RoIAlign these are interpolation entries
    /// (<c>RoIs × bins × samples × 4 neighbours</c>, about 40 bytes each while built, so ~170 MB); for RoIPool the
    /// gathered feature values (<c>RoIs × bins × bin pixels × channels</c>, 16 MB of float32). A single RoI above
    /// it is processed alone.
    /// </summary>
    public const long MaxChunkElements = 1L << 22;

    /// <summary>A run of RoIs (positions <see cref="Start"/>.. in visiting order) gathered at extents <see cref="ExtentY"/> × <see cref="ExtentX"/>.</summary>
    public readonly record struct Chunk(int Start, int Count, int ExtentY, int ExtentX);

    /// <summary>Plans the chunks.</summary>
    /// <param name="extentY">Extent of each RoI along y (at least 0).</param>
    /// <param name="extentX">Extent of each RoI along x.</param>
    /// <param name="elementsPerExtentCell">Gathered values per RoI and unit of <c>extentY × extentX</c>.</param>
    /// <param name="bound">Maximum gathered values per chunk.</param>
    /// <returns>The visiting order (null: input order) and the chunks in that order.</returns>
    public static (long[]? Order, List<Chunk> Chunks) Plan(int[] extentY, int[] extentX, long elementsPerExtentCell, long bound = MaxChunkElements)
    {
        int count = extentY.Length;
        long[]? order = null;
        bool uniform = extentY.All(e => e == extentY[0]) && extentX.All(e => e == extentX[0]);
        var ys = extentY;
        var xs = extentX;
        if (!uniform)
        {
            // Stable: RoIs of equal extents keep their input order.
            order = Enumerable.Range(0, count)
                .OrderBy(i => (long)extentY[i] * extentX[i]).ThenBy(i => Math.Max(extentY[i], extentX[i]))
                .Select(i => (long)i).ToArray();
            ys = order.Select(i => extentY[i]).ToArray();
            xs = order.Select(i => extentX[i]).ToArray();
        }
        var chunks = new List<Chunk>();
        int start = 0, maxY = 0, maxX = 0;
        for (int i = 0; i < count; i++)
        {
            int y = Math.Max(maxY, ys[i]), x = Math.Max(maxX, xs[i]);
            if (i > start && (i - start + 1) * (long)y * x * elementsPerExtentCell > bound)
            {
                chunks.Add(new Chunk(start, i - start, maxY, maxX));
                start = i;
                y = ys[i];
                x = xs[i];
            }
            maxY = y;
            maxX = x;
        }
        if (count > start)
            chunks.Add(new Chunk(start, count - start, maxY, maxX));
        return (order, chunks);
    }
}
