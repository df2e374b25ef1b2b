using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;

/// <summary>
/// Assigns each predicted box (anchor or proposal) at most one ground-truth box by IoU (torchvision's <c>Matcher</c>):
/// the ground truth of highest IoU when that IoU is at least <see cref="HighThreshold"/>,
/// <see cref="BelowLowThreshold"/> below <see cref="LowThreshold"/>, <see cref="BetweenThresholds"/> in between.
/// </summary>
/// <remarks>
/// With <see cref="AllowLowQualityMatches"/> (Faster R-CNN's RPN), every ground-truth box also keeps the predictions
/// of its highest IoU (ties included) even below the thresholds, so no object is left without a positive anchor
/// (Ren et al., "Faster R-CNN", 2015, section 3.1.2). Ties between ground-truth boxes go to the first one.
/// </remarks>
public sealed class BoxMatcher
{
    /// <summary>Match value of a prediction whose best IoU is below <see cref="LowThreshold"/> (background).</summary>
    public const long BelowLowThreshold = -1;

    /// <summary>Match value of a prediction whose best IoU is in [<see cref="LowThreshold"/>, <see cref="HighThreshold"/>) (ignored).</summary>
    public const long BetweenThresholds = -2;

    /// <param name="highThreshold">A prediction whose best IoU is at least this is matched (foreground).</param>
    /// <param name="lowThreshold">A prediction whose best IoU is below this is background; at most <paramref name="highThreshold"/>.</param>
    /// <param name="allowLowQualityMatches">Whether each ground truth keeps its best predictions whatever their IoU. Defaults to false.</param>
    public BoxMatcher(double highThreshold, double lowThreshold, bool allowLowQualityMatches = false)
    {
        if (!(lowThreshold <= highThreshold))
            throw new ArgumentOutOfRangeException(nameof(lowThreshold), $"lowThreshold ({lowThreshold}) must be at most highThreshold ({highThreshold}).");
        (HighThreshold, LowThreshold, AllowLowQualityMatches) = (highThreshold, lowThreshold, allowLowQualityMatches);
    }

    /// <summary>A prediction whose best IoU is at least this is matched.</summary>
    public double HighThreshold { get; }

    /// <summary>A prediction whose best IoU is below this is background.</summary>
    public double LowThreshold { get; }

    /// <summary>Whether each ground truth keeps its best predictions whatever their IoU.</summary>
    public bool AllowLowQualityMatches { get; }

    /// <summary>The match of every prediction.</summary>
    /// <param name="quality"><c>[G, P]</c>: IoU of ground truth g with prediction p.</param>
    /// <returns><c>[P]</c> int64: the matched ground-truth index, <see cref="BelowLowThreshold"/> or <see cref="BetweenThresholds"/>;
    /// all <see cref="BelowLowThreshold"/> when there is no ground truth.</returns>
    public Tensor Match(Tensor quality)
    {
        ArgumentNullException.ThrowIfNull(quality);
        if (quality.dim() != 2)
            throw new ArgumentException($"quality must be a [ground truths, predictions] matrix, got [{string.Join(", ", quality.shape)}].", nameof(quality));
        if (quality.shape[0] == 0)
            return torch.full(quality.shape[1], BelowLowThreshold, ScalarType.Int64, quality.device);
        using var scope = torch.NewDisposeScope();
        var (best, matches) = quality.max(0);
        var matched = matches
            .masked_fill(best < LowThreshold, BelowLowThreshold)
            .masked_fill((best >= LowThreshold).logical_and(best < HighThreshold), BetweenThresholds);
        if (AllowLowQualityMatches)
        {
            var bestPerTruth = quality.max(1).values;
            var predictions = (quality == bestPerTruth.unsqueeze(1)).nonzero()[.., 1];
            matched = matched.index_copy(0, predictions, matches.index_select(0, predictions));
        }
        return matched.MoveToOuterDisposeScope();
    }
}
