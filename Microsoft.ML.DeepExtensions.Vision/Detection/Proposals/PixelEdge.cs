namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>An edge of the pixel graph: two pixel indices (row-major) and the colour distance between them.</summary>
internal struct PixelEdge : IGnuSortable<PixelEdge>
{
    public int From;
    public int To;
    public float Weight;

    public static bool Less(in PixelEdge a, in PixelEdge b) => a.Weight < b.Weight;
}
