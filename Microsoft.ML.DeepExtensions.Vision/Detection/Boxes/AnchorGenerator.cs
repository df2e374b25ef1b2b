using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;

/// <summary>
/// Anchor boxes for region proposal networks (Faster R-CNN; torchvision's <c>AnchorGenerator</c>): for each
/// feature-map level, every size × aspect ratio pair gives one anchor centered on each feature-map position.
/// </summary>
/// <remarks>
/// <para>Cell anchor for size <c>s</c> and ratio <c>r = height / width</c>: <c>h = s·√r</c>, <c>w = s / √r</c>
/// (so the area is <c>s²</c>), corners <c>round(±w/2), round(±h/2)</c> (half to even). Ratios vary slowest.</para>
/// <para>Level stride = image size / feature-map size (integer division, per axis); the anchors of position
/// (row y, column x) are the cell anchors shifted by (x·strideX, y·strideY). Output order: level, row, column,
/// ratio, size. Boxes are xyxy in the (resized) image's pixels.</para>
/// </remarks>
public sealed class AnchorGenerator
{
    private readonly float[][] _sizes;
    private readonly float[][] _aspectRatios;

    /// <param name="sizes">Anchor sizes (square root of the area, in pixels) per level; all positive.</param>
    /// <param name="aspectRatios">Height/width ratios per level (all positive); one list is used for every level.</param>
    public AnchorGenerator(IReadOnlyList<IReadOnlyList<float>> sizes, IReadOnlyList<IReadOnlyList<float>> aspectRatios)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        ArgumentNullException.ThrowIfNull(aspectRatios);
        if (sizes.Count == 0)
            throw new ArgumentException("Anchor sizes need at least one level.", nameof(sizes));
        if (aspectRatios.Count != 1 && aspectRatios.Count != sizes.Count)
            throw new ArgumentException($"Aspect ratios must be given for one level (shared) or for each of the {sizes.Count} levels, got {aspectRatios.Count}.", nameof(aspectRatios));
        _sizes = sizes.Select((level, i) => CheckPositive(level, $"sizes[{i}]")).ToArray();
        _aspectRatios = Enumerable.Range(0, sizes.Count)
            .Select(i => CheckPositive(aspectRatios[aspectRatios.Count == 1 ? 0 : i], $"aspectRatios[{i}]")).ToArray();
    }

    /// <summary>
    /// The original Faster R-CNN anchors (Ren et al., 2015): one level, sizes 128, 256 and 512, aspect ratios
    /// 0.5, 1 and 2: 9 anchors per position.
    /// </summary>
    public static AnchorGenerator FasterRcnn() => new(new[] { new[] { 128f, 256f, 512f } }, new[] { new[] { 0.5f, 1f, 2f } });

    /// <summary>Feature-map levels.</summary>
    public int Levels => _sizes.Length;

    /// <summary>Anchors per feature-map position of <paramref name="level"/>: sizes × ratios.</summary>
    public int AnchorsPerPosition(int level) => _sizes[CheckLevel(level)].Length * _aspectRatios[level].Length;

    /// <summary>The anchors of <paramref name="level"/> centered on (0, 0): <c>[A, 4]</c> xyxy, float32.</summary>
    public Tensor CellAnchors(int level, Device? device = null)
    {
        CheckLevel(level);
        using var scope = torch.NewDisposeScope();
        var scales = torch.tensor(_sizes[level], device: device);
        var heightRatios = torch.tensor(_aspectRatios[level], device: device).sqrt();
        var widthRatios = 1 / heightRatios;
        var widths = (widthRatios.unsqueeze(1) * scales.unsqueeze(0)).reshape(-1);
        var heights = (heightRatios.unsqueeze(1) * scales.unsqueeze(0)).reshape(-1);
        return (torch.stack(new[] { -widths, -heights, widths, heights }, 1) / 2).round().MoveToOuterDisposeScope();
    }

    /// <summary>The anchors of one level over a feature map: <c>[gridHeight · gridWidth · A, 4]</c> xyxy, float32.</summary>
    public Tensor GridAnchors(int level, long gridHeight, long gridWidth, long strideHeight, long strideWidth, Device? device = null)
    {
        if (gridHeight <= 0 || gridWidth <= 0)
            throw new ArgumentOutOfRangeException(nameof(gridHeight), $"The feature map must be at least 1x1, got {gridHeight}x{gridWidth}.");
        if (strideHeight <= 0 || strideWidth <= 0)
            throw new ArgumentOutOfRangeException(nameof(strideHeight), $"Strides must be positive, got {strideHeight}x{strideWidth}.");
        using var scope = torch.NewDisposeScope();
        var cell = CellAnchors(level, device);
        var shiftX = torch.arange(0, gridWidth, ScalarType.Int64, device) * strideWidth;
        var shiftY = torch.arange(0, gridHeight, ScalarType.Int64, device) * strideHeight;
        var grid = torch.meshgrid(new[] { shiftY, shiftX }, indexing: "ij");
        var y = grid[0].reshape(-1);
        var x = grid[1].reshape(-1);
        var shifts = torch.stack(new[] { x, y, x, y }, 1).to(ScalarType.Float32);
        return (shifts.view(-1, 1, 4) + cell.view(1, -1, 4)).reshape(-1, 4).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The anchors of every level for one image (torchvision's <c>AnchorGenerator.forward</c> for one image):
    /// <c>[Σ H·W·A, 4]</c> xyxy float32.
    /// </summary>
    /// <param name="imageHeight">Height of the network input image.</param>
    /// <param name="imageWidth">Width of the network input image.</param>
    /// <param name="featureMapSizes">(height, width) of each level's feature map, one per level.</param>
    /// <param name="device">Where to create the anchors. Defaults to the CPU.</param>
    public Tensor Generate(long imageHeight, long imageWidth, IReadOnlyList<(long Height, long Width)> featureMapSizes, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(featureMapSizes);
        if (featureMapSizes.Count != Levels)
            throw new ArgumentException($"This generator has {Levels} levels, got {featureMapSizes.Count} feature maps.", nameof(featureMapSizes));
        if (imageHeight <= 0 || imageWidth <= 0)
            throw new ArgumentOutOfRangeException(nameof(imageHeight), $"The image must be at least 1x1, got {imageHeight}x{imageWidth}.");
        using var scope = torch.NewDisposeScope();
        var levels = featureMapSizes.Select((size, level) =>
            GridAnchors(level, size.Height, size.Width, imageHeight / size.Height, imageWidth / size.Width, device)).ToArray();
        return torch.cat(levels, 0).MoveToOuterDisposeScope();
    }

    private int CheckLevel(int level)
    {
        if ((uint)level >= (uint)Levels)
            throw new ArgumentOutOfRangeException(nameof(level), $"Level must be in [0, {Levels}), got {level}.");
        return level;
    }

    private static float[] CheckPositive(IReadOnlyList<float> values, string name)
    {
        if (values is null || values.Count == 0)
            throw new ArgumentException($"{name} must hold at least one value.", name);
        foreach (float v in values)
        {
            if (!(v > 0) || float.IsInfinity(v))
                throw new ArgumentOutOfRangeException(name, $"{name} values must be positive and finite, got {v}.");
        }
        return values.ToArray();
    }
}
