using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Ops;

/// <summary>
/// Assigns each box to a feature-pyramid level (Lin et al., "Feature Pyramid Networks for Object Detection",
/// 2017, eq. 1, https://arxiv.org/abs/1612.03144; torchvision's <c>LevelMapper</c>):
/// <c>k = clamp(floor(k0 + log2(√area / s0) + ε), kMin, kMax)</c>.
/// </summary>
/// <remarks>
/// A box of the canonical size <c>s0</c> (ImageNet's 224) goes to the canonical level <c>k0</c> (4, the stride-16
/// map); a box half as wide goes one level finer. Computed in the boxes' type, as torchvision does.
/// </remarks>
public sealed class FpnLevelMapper
{
    /// <param name="minLevel">Finest level <c>kMin</c> (the pyramid's first map has stride <c>2^kMin</c>).</param>
    /// <param name="maxLevel">Coarsest level <c>kMax</c>; at least <paramref name="minLevel"/>.</param>
    /// <param name="canonicalScale">Box size <c>s0</c> of the canonical level; positive. Defaults to 224.</param>
    /// <param name="canonicalLevel">Level <c>k0</c> of a box of size <c>s0</c>. Defaults to 4.</param>
    /// <param name="epsilon">Added before the floor so that sizes exactly on a level boundary do not fall to the finer level through rounding. Defaults to 1e-6.</param>
    public FpnLevelMapper(int minLevel, int maxLevel, int canonicalScale = 224, int canonicalLevel = 4, double epsilon = 1e-6)
    {
        if (maxLevel < minLevel)
            throw new ArgumentOutOfRangeException(nameof(maxLevel), $"maxLevel must be at least minLevel ({minLevel}), got {maxLevel}.");
        if (canonicalScale <= 0)
            throw new ArgumentOutOfRangeException(nameof(canonicalScale), $"canonicalScale must be positive, got {canonicalScale}.");
        (MinLevel, MaxLevel, CanonicalScale, CanonicalLevel, Epsilon) = (minLevel, maxLevel, canonicalScale, canonicalLevel, epsilon);
    }

    /// <summary>Finest level <c>kMin</c>.</summary>
    public int MinLevel { get; }

    /// <summary>Coarsest level <c>kMax</c>.</summary>
    public int MaxLevel { get; }

    /// <summary>Box size of the canonical level, <c>s0</c>.</summary>
    public int CanonicalScale { get; }

    /// <summary>Level of a box of the canonical size, <c>k0</c>.</summary>
    public int CanonicalLevel { get; }

    /// <summary>Added before the floor, <c>ε</c>.</summary>
    public double Epsilon { get; }

    /// <summary>The level of each box, counted from <see cref="MinLevel"/>.</summary>
    /// <param name="boxes"><c>[K, 4]</c> xyxy boxes in image pixels, floating point.</param>
    /// <returns><c>[K]</c> int64 in <c>[0, MaxLevel − MinLevel]</c>; −1 for a box whose area is negative (its
    /// square root is undefined: such a box belongs to no level, and multi-scale pooling leaves it zero, as
    /// torchvision does).</returns>
    public Tensor Levels(Tensor boxes)
    {
        Boxes.BoxChecks.CheckBoxList(boxes, nameof(boxes));
        using var scope = torch.NewDisposeScope();
        var area = (boxes[.., 2] - boxes[.., 0]) * (boxes[.., 3] - boxes[.., 1]);
        var size = area.sqrt();
        var level = (CanonicalLevel + (size / CanonicalScale).log2() + torch.tensor(Epsilon, size.dtype, size.device)).floor()
            .clamp(MinLevel, MaxLevel);
        var index = level.nan_to_num(MinLevel).to(ScalarType.Int64) - MinLevel;
        return index.masked_fill(size.isnan(), -1).MoveToOuterDisposeScope();
    }
}
