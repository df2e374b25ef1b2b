using System.Drawing;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// Uijlings et al.'s s_fill: <c>1 − (|BB_ab| − |a| − |b|)/|image|</c>, clamped to [0, 1], where BB_ab is the bounding
/// box of both regions. It prefers merges that fill holes, so that the union stays compact.
/// </summary>
internal sealed class FillSimilarity : RegionSimilarity
{
    private int[] _sizes = Array.Empty<int>();
    private Rectangle[] _boxes = Array.Empty<Rectangle>();
    private float _imageSize;

    public override void Start(ByteImage image, RegionLabels regions, RegionFeatures features, int[] sizes)
    {
        _sizes = sizes;
        _boxes = (Rectangle[])features.BoundingBoxes.Clone();
        _imageSize = features.ImageSize;
    }

    public override float Get(int a, int b)
    {
        var box = Rectangle.Union(_boxes[a], _boxes[b]);
        return Math.Clamp(1.0f - (box.Width * box.Height - _sizes[a] - _sizes[b]) / _imageSize, 0f, 1f);
    }

    public override void Merge(int a, int b)
    {
        _boxes[a] = Rectangle.Union(_boxes[a], _boxes[b]);
        _boxes[b] = _boxes[a];
    }
}
