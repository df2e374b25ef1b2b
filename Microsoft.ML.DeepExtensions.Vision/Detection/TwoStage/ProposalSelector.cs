using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// Turns the RPN's decoded anchors into proposals (torchvision's <c>RegionProposalNetwork.filter_proposals</c>): per
/// image, the <c>preNmsTopN</c> best objectness logits of each feature-map level, boxes clipped to the image, boxes
/// smaller than <c>MinSize</c> and probabilities below <c>ScoreThreshold</c> dropped, NMS within each level, and the
/// <c>postNmsTopN</c> best kept.
/// </summary>
internal static class ProposalSelector
{
    /// <summary>Selects each image's proposals.</summary>
    /// <param name="boxes"><c>[N, P, 4]</c> decoded anchors, xyxy in the batch's pixels.</param>
    /// <param name="logits"><c>[N, P]</c> objectness logits.</param>
    /// <param name="anchorsPerLevel">Anchors of each level, summing to P, levels in order.</param>
    /// <param name="imageSizes">Each image's (height, width) in the batch: boxes are clipped to it.</param>
    /// <param name="settings">The thresholds.</param>
    /// <param name="training">Whether the training or the testing top-N numbers apply.</param>
    /// <returns>Per image, boxes <c>[K, 4]</c> and objectness probabilities <c>[K]</c>, best first.</returns>
    public static (Tensor Boxes, Tensor Scores)[] Select(Tensor boxes, Tensor logits, IReadOnlyList<long> anchorsPerLevel,
        IReadOnlyList<(int Height, int Width)> imageSizes, RpnSettings settings, bool training)
    {
        int preNms = training ? settings.PreNmsTopNTraining : settings.PreNmsTopNTesting;
        int postNms = training ? settings.PostNmsTopNTraining : settings.PostNmsTopNTesting;
        long n = boxes.shape[0];
        using var scope = torch.NewDisposeScope();
        logits = logits.detach();
        var top = new List<Tensor>();
        var levels = new List<Tensor>();
        long offset = 0;
        for (int level = 0; level < anchorsPerLevel.Count; level++)
        {
            long count = anchorsPerLevel[level];
            var (_, index) = logits.narrow(1, offset, count).topk((int)Math.Min(preNms, count), dim: 1);
            top.Add(index + offset);
            levels.Add(torch.full(index.shape, level, ScalarType.Int64, boxes.device));
            offset += count;
        }
        var chosen = torch.cat(top, 1);
        var chosenLevels = torch.cat(levels, 1);
        var results = new (Tensor Boxes, Tensor Scores)[n];
        for (long i = 0; i < n; i++)
        {
            var imageBoxes = Clip(boxes[i].index_select(0, chosen[i]), imageSizes[(int)i]);
            var scores = logits[i].index_select(0, chosen[i]).sigmoid();
            var imageLevels = chosenLevels[i];
            var width = imageBoxes[.., 2] - imageBoxes[.., 0];
            var height = imageBoxes[.., 3] - imageBoxes[.., 1];
            var keep = (width >= settings.MinSize).logical_and(height >= settings.MinSize).logical_and(scores >= settings.ScoreThreshold).nonzero().squeeze(1);
            (imageBoxes, scores, imageLevels) = (imageBoxes.index_select(0, keep), scores.index_select(0, keep), imageLevels.index_select(0, keep));
            var kept = NonMaxSuppression.ApplyPerClass(imageBoxes, scores, imageLevels, settings.NmsThreshold);
            if (kept.shape[0] > postNms)
                kept = kept.narrow(0, 0, postNms);
            results[i] = (imageBoxes.index_select(0, kept).MoveToOuterDisposeScope(), scores.index_select(0, kept).MoveToOuterDisposeScope());
        }
        return results;
    }

    /// <summary>Clamps xyxy boxes into <c>[0, width] × [0, height]</c> (torchvision's <c>clip_boxes_to_image</c>).</summary>
    public static Tensor Clip(Tensor boxes, (int Height, int Width) size)
    {
        var x = boxes.narrow(-1, 0, 1).clamp(0, size.Width);
        var y = boxes.narrow(-1, 1, 1).clamp(0, size.Height);
        var x1 = boxes.narrow(-1, 2, 1).clamp(0, size.Width);
        var y1 = boxes.narrow(-1, 3, 1).clamp(0, size.Height);
        return torch.cat(new[] { x, y, x1, y1 }, -1);
    }
}
