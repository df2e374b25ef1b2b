using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;

/// <summary>
/// Draws a mini-batch of labelled boxes with a bounded share of positives (torchvision's
/// <c>BalancedPositiveNegativeSampler</c>): at most <c>floor(BatchSizePerImage · PositiveFraction)</c> positives
/// at random, then negatives at random to fill the batch (fewer when there are not enough).
/// </summary>
/// <remarks>Faster R-CNN's RPN samples 256 anchors per image with half positives; its box head 512 proposals with a
/// quarter positives (Ren et al., 2015, section 3.1.3; Girshick, "Fast R-CNN", 2015, section 2.3).</remarks>
public sealed class BalancedSampler
{
    /// <param name="batchSizePerImage">Boxes drawn per image; positive.</param>
    /// <param name="positiveFraction">Largest share of positives, in [0, 1].</param>
    public BalancedSampler(int batchSizePerImage, double positiveFraction)
    {
        if (batchSizePerImage <= 0)
            throw new ArgumentOutOfRangeException(nameof(batchSizePerImage), $"batchSizePerImage must be positive, got {batchSizePerImage}.");
        if (!(positiveFraction >= 0 && positiveFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(positiveFraction), $"positiveFraction must be in [0, 1], got {positiveFraction}.");
        (BatchSizePerImage, PositiveFraction) = (batchSizePerImage, positiveFraction);
    }

    /// <summary>Boxes drawn per image.</summary>
    public int BatchSizePerImage { get; }

    /// <summary>Largest share of positives.</summary>
    public double PositiveFraction { get; }

    /// <summary>Samples one image's boxes.</summary>
    /// <param name="labels"><c>[P]</c> integer or float: negative ignored, 0 background, positive foreground.</param>
    /// <param name="generator">The random source. Defaults to null (the global one).</param>
    /// <returns>The drawn positive and negative indices into <paramref name="labels"/>, each ascending, int64.</returns>
    public (Tensor Positive, Tensor Negative) Sample(Tensor labels, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.dim() != 1)
            throw new ArgumentException($"labels must be one value per box, [P], got [{string.Join(", ", labels.shape)}].", nameof(labels));
        using var scope = torch.NewDisposeScope();
        var positive = (labels >= 1).nonzero().squeeze(1);
        var negative = (labels == 0).nonzero().squeeze(1);
        long positives = Math.Min(positive.shape[0], (long)(BatchSizePerImage * PositiveFraction));
        long negatives = Math.Min(negative.shape[0], BatchSizePerImage - positives);
        return (Draw(positive, positives, generator).MoveToOuterDisposeScope(), Draw(negative, negatives, generator).MoveToOuterDisposeScope());
    }

    private static Tensor Draw(Tensor candidates, long count, Generator? generator)
    {
        if (count == candidates.shape[0])
            return candidates;
        var order = torch.randperm(candidates.shape[0], generator: generator).narrow(0, 0, count).to(candidates.device);
        return candidates.index_select(0, order).sort().Values;
    }
}
