using Microsoft.ML.DeepExtensions.Vision.Detection.Ops;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// Mask R-CNN's mask targets (torchvision's <c>project_masks_on_boxes</c>): each positive proposal's ground-truth mask
/// (the one of the object it was matched to) cut out along the proposal and resampled onto the M × M grid of the
/// predicted masks by <see cref="RoIAlign"/> (spatial scale 1, adaptive sampling, not aligned), so a target is the
/// fraction of each cell the object covers, in [0, 1].
/// </summary>
internal static class MaskTargets
{
    /// <param name="truthMasks"><c>[G, H, W]</c> binary masks of one image's objects (any numeric dtype), in the image's pixels.</param>
    /// <param name="proposals"><c>[P, 4]</c> xyxy proposals in the same pixels.</param>
    /// <param name="matched"><c>[P]</c> int64: the object each proposal was matched to (an index into <paramref name="truthMasks"/>).</param>
    /// <param name="size">The grid side M.</param>
    /// <returns><c>[P, M, M]</c> in the proposals' dtype.</returns>
    public static Tensor Project(Tensor truthMasks, Tensor proposals, Tensor matched, int size)
    {
        if (proposals.shape[0] == 0)
            return torch.zeros(new long[] { 0, size, size }, proposals.dtype, proposals.device);
        var rois = torch.cat(new[] { matched.to(proposals.dtype).unsqueeze(1), proposals }, 1);
        var masks = truthMasks.unsqueeze(1).to(proposals.dtype);
        return RoIAlign.Apply(masks, rois, (size, size), spatialScale: 1.0, samplingRatio: -1, aligned: false).squeeze(1);
    }

    /// <summary>
    /// torchvision's <c>maskrcnn_loss</c>: binary cross-entropy with logits of each positive proposal's mask of its
    /// object's class against its projected target, the mean over all their cells; 0 (still connected to the logits'
    /// graph) when there is no positive proposal.
    /// </summary>
    /// <param name="logits"><c>[ΣP, C, M, M]</c> mask logits of all images' positive proposals.</param>
    /// <param name="proposals">Per image, <c>[P, 4]</c> the positive proposals.</param>
    /// <param name="truthMasks">Per image, <c>[G, H, W]</c>.</param>
    /// <param name="truthLabels">Per image, <c>[G]</c> int64 classes counted from 1.</param>
    /// <param name="matched">Per image, <c>[P]</c> int64 matched object of each positive proposal.</param>
    public static Tensor Loss(Tensor logits, IReadOnlyList<Tensor> proposals, IReadOnlyList<Tensor> truthMasks, IReadOnlyList<Tensor> truthLabels, IReadOnlyList<Tensor> matched)
    {
        int size = (int)logits.shape[^1];
        var labels = torch.cat(matched.Select((m, i) => truthLabels[i].to(ScalarType.Int64).index_select(0, m)).ToArray(), 0);
        var targets = torch.cat(proposals.Select((p, i) => Project(truthMasks[i], p, matched[i], size)).ToArray(), 0);
        if (targets.numel() == 0)
            return logits.sum() * 0;
        var rows = torch.arange(labels.shape[0], ScalarType.Int64, logits.device);
        var chosen = logits.index(new TensorIndex[] { TensorIndex.Tensor(rows), TensorIndex.Tensor(labels) });
        return nn.functional.binary_cross_entropy_with_logits(chosen, targets);
    }
}
