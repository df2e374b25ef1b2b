namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// A similarity of selective search (Uijlings et al., "Selective Search for Object Recognition", IJCV 104(2), 2013,
/// section 3.2): a value in [0, 1] for two neighbouring regions, updated when regions merge. Regions are named by their
/// working id: the smaller id of the two merged regions keeps standing for their union, as in OpenCV.
/// </summary>
internal abstract class RegionSimilarity
{
    /// <summary>Starts a new grouping on <paramref name="image"/> segmented as <paramref name="regions"/>.</summary>
    /// <param name="image">The colour-space image the grouping runs on.</param>
    /// <param name="regions">The initial segmentation.</param>
    /// <param name="features">Per-segmentation features shared by the strategies of one grouping run (histograms, rectangles).</param>
    /// <param name="sizes">Pixels per working id; the grouping updates it after each <see cref="Merge"/>, and the similarity reads it.</param>
    public abstract void Start(ByteImage image, RegionLabels regions, RegionFeatures features, int[] sizes);

    /// <summary>The similarity of regions <paramref name="a"/> and <paramref name="b"/>.</summary>
    public abstract float Get(int a, int b);

    /// <summary>Region <paramref name="b"/> merges into <paramref name="a"/> (both ids then describe the union); called before the sizes change.</summary>
    public abstract void Merge(int a, int b);
}
