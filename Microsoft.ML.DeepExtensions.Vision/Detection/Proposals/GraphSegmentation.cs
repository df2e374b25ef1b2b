using System.Runtime.CompilerServices;
using Microsoft.ML.Data;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// Felzenszwalb–Huttenlocher graph-based segmentation ("Efficient Graph-Based Image Segmentation", IJCV 59(2), 2004)
/// as OpenCV's <c>cv::ximgproc::segmentation::GraphSegmentation</c> computes it, so that labels agree pixel for pixel:
/// <list type="number">
/// <item>the 8-bit channels are smoothed as floats with a Gaussian of <see cref="Sigma"/> (<see cref="GaussianSmoothing"/>);</item>
/// <item>every pixel is joined to its 4 neighbours (up, left, down, right; each pair appears twice) with weight
/// <c>w = ‖I(p) − I(q)‖₂</c> on the smoothed channels;</item>
/// <item>edges are sorted by weight (as libstdc++'s <c>std::sort</c> orders them, <see cref="GnuIntroSort"/>), and an
/// edge joins components A and B when <c>w ≤ Int(A) + K/|A|</c> and <c>w ≤ Int(B) + K/|B|</c>, where the
/// threshold of a component becomes <c>w + K/|A∪B|</c> when it grows;</item>
/// <item>then, in the same order, every edge that joined nothing (and of non-zero weight) joins its two components
/// when either has fewer than <see cref="MinSize"/> pixels;</item>
/// <item>labels are numbered by first appearance in raster order.</item>
/// </list>
/// </summary>
public sealed class GraphSegmentation
{
    /// <param name="sigma">Standard deviation of the Gaussian smoothing, positive. Defaults to 0.5 (OpenCV's default).</param>
    /// <param name="k">Scale of the merge threshold <c>K/|C|</c>: larger values give larger regions; zero or more. Defaults to 300 (OpenCV's default).</param>
    /// <param name="minSize">Regions smaller than this are merged into a neighbour at the end; zero or more. Defaults to 100 (OpenCV's default).</param>
    public GraphSegmentation(double sigma = 0.5, float k = 300, int minSize = 100)
    {
        if (!(sigma > 0) || double.IsInfinity(sigma))
            throw new ArgumentOutOfRangeException(nameof(sigma), $"Sigma must be a positive number, got {sigma}.");
        if (!(k >= 0) || float.IsInfinity(k))
            throw new ArgumentOutOfRangeException(nameof(k), $"K must be zero or a positive number, got {k}.");
        if (minSize < 0)
            throw new ArgumentOutOfRangeException(nameof(minSize), $"MinSize must be zero or more, got {minSize}.");
        Sigma = sigma;
        K = k;
        MinSize = minSize;
    }

    /// <summary>Standard deviation of the Gaussian smoothing.</summary>
    public double Sigma { get; }

    /// <summary>Scale of the merge threshold <c>K/|C|</c>.</summary>
    public float K { get; }

    /// <summary>Smallest region size kept.</summary>
    public int MinSize { get; }

    /// <summary>Segments an image's blue, green and red channels (in that order, as OpenCV reads images).</summary>
    public RegionLabels Segment(MLImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var bgr = ProposalImage.ToBgr(image, nameof(image));
        return Segment(bgr, image.Width, image.Height, 3);
    }

    /// <summary>Segments interleaved 8-bit pixels (rows without padding, <paramref name="channels"/> bytes per pixel).</summary>
    public RegionLabels Segment(ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        ProposalImage.CheckPixels(pixels.Length, width, height, channels, nameof(pixels));
        return Segment(new PixelGraph(pixels, width, height, channels, Sigma));
    }

    /// <summary>Segments a graph built with this <see cref="Sigma"/>.</summary>
    internal RegionLabels Segment(PixelGraph graph)
    {
        var edges = graph.CopyEdges();
        int pixels = graph.Width * graph.Height;
        var sets = new PixelSets(pixels);
        JoinByThreshold(edges, sets, pixels);
        JoinSmallRegions(edges, sets);
        return Number(sets, graph.Width, graph.Height);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    private void JoinByThreshold(PixelEdge[] edges, PixelSets sets, int pixels)
    {
        var thresholds = new float[pixels];
        Array.Fill(thresholds, K);
        for (int i = 0; i < edges.Length; i++)
        {
            ref var edge = ref edges[i];
            int a = sets.Find(edge.From), b = sets.Find(edge.To);
            if (a != b && edge.Weight <= thresholds[a] && edge.Weight <= thresholds[b])
            {
                int root = sets.Join(a, b);
                thresholds[root] = edge.Weight + K / sets.Size(root);
                edge.Weight = 0; // marks the edge as used, so the small-region pass skips it
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    private void JoinSmallRegions(PixelEdge[] edges, PixelSets sets)
    {
        for (int i = 0; i < edges.Length; i++)
        {
            if (edges[i].Weight > 0)
            {
                int a = sets.Find(edges[i].From), b = sets.Find(edges[i].To);
                if (a != b && (sets.Size(a) < MinSize || sets.Size(b) < MinSize))
                    sets.Join(a, b);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    private static RegionLabels Number(PixelSets sets, int width, int height)
    {
        int pixels = width * height;
        var labelOfRoot = new int[pixels];
        Array.Fill(labelOfRoot, -1);
        var labels = new int[pixels];
        int next = 0;
        for (int p = 0; p < pixels; p++)
        {
            int root = sets.Find(p);
            if (labelOfRoot[root] < 0)
                labelOfRoot[root] = next++;
            labels[p] = labelOfRoot[root];
        }
        return new RegionLabels(labels, width, height, next);
    }
}
