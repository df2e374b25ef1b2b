using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.DeepExtensions.Vision.Detection.Ops;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// Faster R-CNN's second stage (torchvision's <c>RoIHeads</c> for boxes): proposals pooled from the feature maps by
/// <see cref="MultiScaleRoIAlign"/> (<c>box_roi_pool</c>), a <see cref="TwoMlpHead"/> (<c>box_head</c>) and a
/// <see cref="FastRcnnPredictor"/> (<c>box_predictor</c>), deltas coded with weights (10, 10, 5, 5). In training, the
/// proposals (with the ground-truth boxes added) are labelled and sampled and the loss computed; in evaluation, the
/// detections post-processed (<see cref="BoxHeadPostProcessor"/>). With a mask branch (Mask R-CNN; <see cref="MaskBranch"/>:
/// <c>mask_roi_pool</c>, <c>mask_head</c>, <c>mask_predictor</c>) the positive sampled proposals also give the mask loss in
/// training, and each detection its mask probabilities in evaluation.
/// </summary>
/// <remarks>
/// Loss (Girshick, "Fast R-CNN", 2015, eq. 1): classifier cross-entropy, mean over the sampled proposals; box smooth
/// L1 (β = 1/9) of the foreground proposals' deltas of their true class, summed and divided by the number of sampled
/// proposals. Mask (He et al., "Mask R-CNN", 2017, section 3): binary cross-entropy of the positive proposals' masks of
/// their true class against the ground-truth masks projected onto them (<see cref="MaskTargets"/>), mean over all cells.
/// </remarks>
public sealed class RoIHeads : nn.Module
{
    private readonly MultiScaleRoIAlign _pool;
    private readonly TwoMlpHead _head;
    private readonly FastRcnnPredictor _predictor;
    private readonly BoxMatcher _matcher;
    private readonly BalancedSampler _sampler;
    private readonly MaskBranch? _mask;

    /// <param name="featureNames">The maps to pool from, finest first (<c>0</c> to <c>3</c> of an FPN, without <c>pool</c>; or the single map).</param>
    /// <param name="channels">Channels of the feature maps.</param>
    /// <param name="classes">Classes including the background.</param>
    /// <param name="settings">Thresholds, sampling numbers and sizes. Defaults to <see cref="RoIHeadSettings"/>' defaults.</param>
    /// <param name="device">Where the weights live. Defaults to the CPU.</param>
    /// <param name="maskHead">The mask branch's numbers, for a Mask R-CNN; null (the default) for boxes only.</param>
    public RoIHeads(IReadOnlyList<string> featureNames, int channels, int classes, RoIHeadSettings? settings = null, Device? device = null, MaskHeadSettings? maskHead = null) : base(nameof(RoIHeads))
    {
        Settings = settings ?? new RoIHeadSettings();
        Settings.Validate();
        _pool = new MultiScaleRoIAlign(featureNames, (Settings.PooledSize, Settings.PooledSize), Settings.SamplingRatio);
        _head = new TwoMlpHead((long)channels * Settings.PooledSize * Settings.PooledSize, Settings.RepresentationSize, device);
        _predictor = new FastRcnnPredictor(Settings.RepresentationSize, classes, device);
        register_module("box_roi_pool", _pool);
        register_module("box_head", _head);
        register_module("box_predictor", _predictor);
        if (maskHead is not null)
        {
            _mask = new MaskBranch(featureNames, channels, classes, maskHead, device);
            register_module("mask_roi_pool", _mask.Pool);
            register_module("mask_head", _mask.Head);
            register_module("mask_predictor", _mask.Predictor);
        }
        _matcher = new BoxMatcher(Settings.ForegroundIoU, Settings.BackgroundIoU, allowLowQualityMatches: false);
        _sampler = new BalancedSampler(Settings.BatchSizePerImage, Settings.PositiveFraction);
    }

    /// <summary>Thresholds, sampling numbers and sizes.</summary>
    public RoIHeadSettings Settings { get; }

    /// <summary>The detection box coder: weights (10, 10, 5, 5).</summary>
    public BoxCoder Coder { get; } = BoxCoder.FasterRcnnBoxHead();

    /// <summary>Classes including the background.</summary>
    public int Classes => _predictor.Classes;

    /// <summary>Whether there is a mask branch (Mask R-CNN).</summary>
    public bool HasMasks => _mask is not null;

    /// <summary>The mask branch's numbers; null without one.</summary>
    public MaskHeadSettings? MaskSettings => _mask?.Settings;

    /// <summary>Detections, with mask probabilities when there is a mask branch (evaluation mode), or the loss parts (training mode; the mask loss only with a mask branch).</summary>
    /// <param name="features">The backbone's maps by name.</param>
    /// <param name="proposals">Per image, <c>[R, 4]</c> proposals in batch pixels.</param>
    /// <param name="imageSizes">Per image, its (height, width) in the batch.</param>
    /// <param name="targets">In training mode, per image the ground truth: <c>[G, 4]</c> xyxy boxes and <c>[G]</c> int64 classes counted from 1.</param>
    /// <param name="generator">Random source of the proposal sampling. Defaults to null (the global one).</param>
    /// <param name="masks">In training mode with a mask branch, per image <c>[G, H, W]</c> binary ground-truth masks of its objects, in batch pixels.</param>
    public (RcnnDetections[]? Detections, Tensor? ClassifierLoss, Tensor? BoxLoss, Tensor? MaskLoss) forward(IReadOnlyDictionary<string, Tensor> features, IReadOnlyList<Tensor> proposals,
        IReadOnlyList<(int Height, int Width)> imageSizes, IReadOnlyList<(Tensor Boxes, Tensor Labels)>? targets = null, Generator? generator = null,
        IReadOnlyList<Tensor>? masks = null)
    {
        ArgumentNullException.ThrowIfNull(proposals);
        if (!training)
        {
            var (logits, deltas) = Predict(features, proposals, imageSizes);
            var detections = BoxHeadPostProcessor.Apply(logits, deltas, proposals, imageSizes, Coder, Settings);
            if (_mask is not null)
            {
                var probabilities = MaskBranch.Probabilities(_mask.Logits(features, detections.Select(d => d.Boxes).ToArray(), imageSizes), detections.Select(d => d.Labels).ToArray());
                detections = detections.Select((d, i) => d with { MaskProbabilities = probabilities[i] }).ToArray();
            }
            return (detections, null, null, null);
        }
        if (targets is null || targets.Count != proposals.Count)
            throw new ArgumentException($"In training mode the box head needs one ground truth per image ({proposals.Count}), got {(targets is null ? "none" : targets.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))}.", nameof(targets));
        if (_mask is not null && (masks is null || masks.Count != proposals.Count))
            throw new ArgumentException($"Mask R-CNN's loss needs the ground-truth masks of each image ({proposals.Count}), got {(masks is null ? "none" : masks.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))}.", nameof(masks));
        var sampled = new Tensor[proposals.Count];
        var labels = new Tensor[proposals.Count];
        var regression = new Tensor[proposals.Count];
        var matched = new Tensor[proposals.Count];
        for (int i = 0; i < proposals.Count; i++)
            (sampled[i], labels[i], regression[i], matched[i]) = SampleProposals(proposals[i], targets[i].Boxes.to(proposals[i].dtype), targets[i].Labels, generator);
        var (classLogits, boxDeltas) = Predict(features, sampled, imageSizes);
        var (classifier, box) = Loss(classLogits, boxDeltas, torch.cat(labels, 0), torch.cat(regression, 0));
        if (_mask is null)
            return (null, classifier, box, null);

        // Only the positive proposals learn masks, each that of the object it was matched to.
        var positives = labels.Select(l => (l > 0).nonzero().squeeze(1)).ToArray();
        var maskProposals = sampled.Select((p, i) => p.index_select(0, positives[i])).ToArray();
        var maskMatched = matched.Select((m, i) => m.index_select(0, positives[i])).ToArray();
        var maskLogits = _mask.Logits(features, maskProposals, imageSizes);
        var mask = MaskTargets.Loss(maskLogits, maskProposals, masks!, targets.Select(t => t.Labels).ToArray(), maskMatched);
        return (null, classifier, box, mask);
    }

    private (Tensor Logits, Tensor Deltas) Predict(IReadOnlyDictionary<string, Tensor> features, IReadOnlyList<Tensor> proposals, IReadOnlyList<(int Height, int Width)> imageSizes) =>
        _predictor.forward(_head.forward(_pool.forward(features, proposals, imageSizes)));

    /// <summary>One image's sampled proposals (the ground truth added as proposals), their classes (0 background), regression targets and matched objects (0 where none).</summary>
    private (Tensor Proposals, Tensor Labels, Tensor Regression, Tensor Matched) SampleProposals(Tensor proposals, Tensor truthBoxes, Tensor truthLabels, Generator? generator)
    {
        BoxChecks.CheckBoxList(truthBoxes, "target boxes");
        if (truthLabels.dim() != 1 || truthLabels.shape[0] != truthBoxes.shape[0])
            throw new ArgumentException($"Each target needs one label per box: {truthBoxes.shape[0]} boxes, labels [{string.Join(", ", truthLabels.shape)}].", nameof(truthLabels));
        var candidates = torch.cat(new[] { proposals, truthBoxes }, 0);
        Tensor labels, matchedBoxes, index;
        if (truthBoxes.shape[0] == 0)
        {
            labels = torch.zeros(candidates.shape[0], ScalarType.Int64, candidates.device);
            matchedBoxes = torch.zeros_like(candidates);
            index = torch.zeros(candidates.shape[0], ScalarType.Int64, candidates.device);
        }
        else
        {
            var matched = _matcher.Match(BoxIou.Pairwise(truthBoxes, candidates));
            index = matched.clamp_min(0);
            labels = truthLabels.to(ScalarType.Int64).index_select(0, index)
                .masked_fill(matched == BoxMatcher.BelowLowThreshold, 0)
                .masked_fill(matched == BoxMatcher.BetweenThresholds, -1);
            matchedBoxes = truthBoxes.index_select(0, index);
        }
        var (positive, negative) = _sampler.Sample(labels, generator);
        var chosen = torch.cat(new[] { positive, negative }, 0).sort().Values;
        var chosenProposals = candidates.index_select(0, chosen);
        return (chosenProposals, labels.index_select(0, chosen), Coder.Encode(matchedBoxes.index_select(0, chosen), chosenProposals), index.index_select(0, chosen));
    }

    private static (Tensor Classifier, Tensor Box) Loss(Tensor logits, Tensor deltas, Tensor labels, Tensor regression)
    {
        var classifier = nn.functional.cross_entropy(logits, labels);
        var positive = (labels > 0).nonzero().squeeze(1);
        var perClass = deltas.reshape(deltas.shape[0], -1, 4);
        var positiveDeltas = perClass.index(new TensorIndex[] { TensorIndex.Tensor(positive), TensorIndex.Tensor(labels.index_select(0, positive)) });
        var box = nn.functional.smooth_l1_loss(positiveDeltas, regression.index_select(0, positive), nn.Reduction.Sum, RegionProposalNetwork.SmoothL1Beta)
            / Math.Max(1, labels.shape[0]);
        return (classifier, box);
    }

    /// <summary>Children are registered by name in the constructor (torchvision's names); TorchSharp must not add the fields again under their C# names.</summary>
    protected override void RegisterComponents()
    {
    }
}
