namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// Uijlings et al.'s s_size: <c>1 − (|a| + |b|)/|image|</c>, clamped to [0, 1]. It makes small regions merge early,
/// so that the hierarchy grows everywhere at a similar pace.
/// </summary>
internal sealed class SizeSimilarity : RegionSimilarity
{
    private int[] _sizes = Array.Empty<int>();
    private float _imageSize;

    public override void Start(ByteImage image, RegionLabels regions, RegionFeatures features, int[] sizes)
    {
        _sizes = sizes;
        _imageSize = features.ImageSize;
    }

    public override float Get(int a, int b) => Math.Clamp(1.0f - (_sizes[a] + _sizes[b]) / _imageSize, 0f, 1f);

    public override void Merge(int a, int b)
    {
        // Sizes live in the grouping, which updates them.
    }
}
