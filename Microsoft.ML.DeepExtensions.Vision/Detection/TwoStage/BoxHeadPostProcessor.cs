using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// The box head's detections (torchvision's <c>RoIHeads.postprocess_detections</c>): every proposal's class-specific
/// deltas decoded, boxes clipped to the image, each (proposal, object class) pair a candidate scored by the softmax
/// probability, candidates not above <c>ScoreThreshold</c> or smaller than 0.01 pixel dropped, NMS within each class,
/// and the <c>DetectionsPerImage</c> best kept.
/// </summary>
internal static class BoxHeadPostProcessor
{
    /// <summary>torchvision's <c>remove_small_boxes</c> size for detections.</summary>
    private const double MinBoxSize = 1e-2;

    /// <param name="logits"><c>[ΣR, C]</c> class logits of all images' proposals.</param>
    /// <param name="deltas"><c>[ΣR, 4C]</c>.</param>
    /// <param name="proposals">Per image, <c>[R, 4]</c>.</param>
    /// <param name="imageSizes">Per image, its (height, width) in the batch.</param>
    /// <param name="coder">The box head's coder.</param>
    /// <param name="settings">The thresholds.</param>
    public static RcnnDetections[] Apply(Tensor logits, Tensor deltas, IReadOnlyList<Tensor> proposals, IReadOnlyList<(int Height, int Width)> imageSizes,
        BoxCoder coder, RoIHeadSettings settings)
    {
        long classes = logits.shape[1];
        var allProposals = torch.cat(proposals.ToArray(), 0);
        var boxes = allProposals.shape[0] == 0 ? torch.zeros(0, classes, 4, deltas.dtype, deltas.device) : coder.Decode(deltas, allProposals).view(-1, classes, 4);
        var probabilities = nn.functional.softmax(logits, -1);
        var results = new RcnnDetections[proposals.Count];
        long offset = 0;
        for (int i = 0; i < proposals.Count; i++)
        {
            using var scope = torch.NewDisposeScope();
            long count = proposals[i].shape[0];
            var imageBoxes = ProposalSelector.Clip(boxes.narrow(0, offset, count), imageSizes[i]).narrow(1, 1, classes - 1).reshape(-1, 4);
            var scores = probabilities.narrow(0, offset, count).narrow(1, 1, classes - 1).reshape(-1);
            var labels = torch.arange(1, classes, ScalarType.Int64, logits.device).view(1, -1).expand(count, -1).reshape(-1);
            offset += count;
            var keep = (scores > settings.ScoreThreshold).nonzero().squeeze(1);
            (imageBoxes, scores, labels) = (imageBoxes.index_select(0, keep), scores.index_select(0, keep), labels.index_select(0, keep));
            var width = imageBoxes[.., 2] - imageBoxes[.., 0];
            var height = imageBoxes[.., 3] - imageBoxes[.., 1];
            keep = (width >= MinBoxSize).logical_and(height >= MinBoxSize).nonzero().squeeze(1);
            (imageBoxes, scores, labels) = (imageBoxes.index_select(0, keep), scores.index_select(0, keep), labels.index_select(0, keep));
            var kept = NonMaxSuppression.ApplyPerClass(imageBoxes, scores, labels, settings.NmsThreshold);
            if (kept.shape[0] > settings.DetectionsPerImage)
                kept = kept.narrow(0, 0, settings.DetectionsPerImage);
            results[i] = new RcnnDetections(imageBoxes.index_select(0, kept).MoveToOuterDisposeScope(),
                scores.index_select(0, kept).MoveToOuterDisposeScope(), labels.index_select(0, kept).MoveToOuterDisposeScope());
        }
        return results;
    }
}
