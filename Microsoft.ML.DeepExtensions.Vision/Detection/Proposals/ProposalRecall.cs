using System.Drawing;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// The measure Uijlings et al. evaluate proposals with: the share of ground-truth objects that some proposal covers
/// with an intersection over union of at least a threshold (the paper's "recall", with 0.5 as Pascal's and 0.7 / 0.85
/// for tighter boxes), over all proposals or over the first N of each image.
/// </summary>
public static class ProposalRecall
{
    /// <summary>Recall of <paramref name="objects"/> (x0 y0 x1 y1 per object, per image) by <paramref name="proposals"/> (per image).</summary>
    /// <param name="proposals">Each image's proposals, best ranked first.</param>
    /// <param name="objects">Each image's ground-truth boxes as x0, y0, x1, y1.</param>
    /// <param name="iouThreshold">The IoU a proposal needs to cover an object, in (0, 1].</param>
    /// <param name="firstN">Proposals per image considered (0: all).</param>
    /// <returns>Covered objects / objects (0 without objects).</returns>
    public static double Compute(IReadOnlyList<Rectangle[]> proposals, IReadOnlyList<IReadOnlyList<RectangleF>> objects, double iouThreshold, int firstN = 0)
    {
        ArgumentNullException.ThrowIfNull(proposals);
        ArgumentNullException.ThrowIfNull(objects);
        if (proposals.Count != objects.Count)
            throw new ArgumentException($"Proposals are given for {proposals.Count} images but objects for {objects.Count}.", nameof(objects));
        if (!(iouThreshold > 0 && iouThreshold <= 1))
            throw new ArgumentOutOfRangeException(nameof(iouThreshold), $"The IoU threshold must be in (0, 1], got {iouThreshold}.");
        if (firstN < 0)
            throw new ArgumentOutOfRangeException(nameof(firstN), $"firstN must be zero (all) or positive, got {firstN}.");
        int total = 0, covered = 0;
        for (int i = 0; i < objects.Count; i++)
        {
            var boxes = proposals[i];
            int count = firstN == 0 ? boxes.Length : Math.Min(firstN, boxes.Length);
            foreach (var target in objects[i])
            {
                total++;
                for (int p = 0; p < count; p++)
                {
                    if (Iou(boxes[p], target) >= iouThreshold)
                    {
                        covered++;
                        break;
                    }
                }
            }
        }
        return total == 0 ? 0 : (double)covered / total;
    }

    /// <summary>Intersection over union of a pixel box (x, y, width, height) and an x0 y0 x1 y1 box (as <see cref="RectangleF.FromLTRB"/>).</summary>
    public static double Iou(Rectangle proposal, RectangleF target)
    {
        double w = Math.Min(proposal.Right, target.Right) - Math.Max(proposal.Left, target.Left);
        double h = Math.Min(proposal.Bottom, target.Bottom) - Math.Max(proposal.Top, target.Top);
        if (w <= 0 || h <= 0)
            return 0;
        double intersection = w * h;
        return intersection / ((double)proposal.Width * proposal.Height + (double)target.Width * target.Height - intersection);
    }
}
