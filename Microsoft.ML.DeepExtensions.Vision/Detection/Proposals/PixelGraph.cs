using System.Runtime.CompilerServices;
namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// The sorted 4-neighbour pixel graph of <see cref="GraphSegmentation"/>: smoothing, edge weights and the sort do not
/// depend on the threshold k, so selective search builds it once per colour-space image and segments it at every k.
/// </summary>
internal sealed class PixelGraph
{
    private readonly PixelEdge[] _sortedEdges;

    /// <summary>Smooths the image, weighs the edges and sorts them as OpenCV does.</summary>
    public PixelGraph(ReadOnlySpan<byte> pixels, int width, int height, int channels, double sigma)
    {
        Width = width;
        Height = height;
        var smoothed = GaussianSmoothing.Smooth(pixels, width, height, channels, sigma);
        _sortedEdges = BuildEdges(smoothed, width, height);
        GnuIntroSort.Sort(_sortedEdges.AsSpan());
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>A copy of the sorted edges (the segmentation marks the edges it uses).</summary>
    public PixelEdge[] CopyEdges() => (PixelEdge[])_sortedEdges.Clone();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    private static PixelEdge[] BuildEdges(float[][] planes, int width, int height)
    {
        var edges = new PixelEdge[4 * width * height - 2 * width - 2 * height];
        int count = 0;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int p = y * width + x;
                // OpenCV's order: up, left, down, right (every pair twice, which matters for the order of ties).
                if (y > 0)
                    edges[count++] = Edge(planes, p, p - width);
                if (x > 0)
                    edges[count++] = Edge(planes, p, p - 1);
                if (y + 1 < height)
                    edges[count++] = Edge(planes, p, p + width);
                if (x + 1 < width)
                    edges[count++] = Edge(planes, p, p + 1);
            }
        }
        return edges;
    }

    private static PixelEdge Edge(float[][] planes, int p, int q)
    {
        // OpenCV sums pow(d, 2) (a double) into a float, channel by channel, then takes the float square root.
        float total = 0;
        for (int c = 0; c < planes.Length; c++)
        {
            float d = planes[c][p] - planes[c][q];
            total = (float)(total + (double)d * d);
        }
        return new PixelEdge { From = p, To = q, Weight = MathF.Sqrt(total) };
    }
}
