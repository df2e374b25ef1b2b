using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// Faster R-CNN's region proposal network (Ren et al., NeurIPS 2015, section 3.1; torchvision's
/// <c>RegionProposalNetwork</c>): anchors on every feature map (<see cref="AnchorGenerator"/>), the <see cref="RpnHead"/>'s
/// objectness and deltas, decoded with a <see cref="BoxCoder"/> of weights (1, 1, 1, 1), proposals selected by top-N,
/// NMS and size (<see cref="ProposalSelector"/>); in training, also its loss.
/// </summary>
/// <remarks>
/// Loss: anchors are labelled by <see cref="BoxMatcher"/> (IoU ≥ <c>ForegroundIoU</c> positive, &lt; <c>BackgroundIoU</c>
/// negative, each object's best anchors positive), a <see cref="BalancedSampler"/> draws <c>BatchSizePerImage</c> per image;
/// objectness: binary cross-entropy with logits, mean over the drawn anchors; box: smooth L1 (β = 1/9) of the positives'
/// deltas, summed and divided by the number of drawn anchors.
/// </remarks>
public sealed class RegionProposalNetwork : nn.Module
{
    /// <summary>The smooth L1 β of both Faster R-CNN box losses (torchvision's 1/9).</summary>
    public const double SmoothL1Beta = 1.0 / 9;

    private readonly RpnHead _head;
    private readonly BoxMatcher _matcher;
    private readonly BalancedSampler _sampler;

    /// <param name="anchors">The anchor generator, one level per feature map.</param>
    /// <param name="channels">Channels of the feature maps.</param>
    /// <param name="settings">Thresholds and sampling numbers. Defaults to <see cref="RpnSettings"/>' defaults.</param>
    /// <param name="device">Where the weights live. Defaults to the CPU.</param>
    public RegionProposalNetwork(AnchorGenerator anchors, int channels, RpnSettings? settings = null, Device? device = null) : base(nameof(RegionProposalNetwork))
    {
        Anchors = anchors ?? throw new ArgumentNullException(nameof(anchors));
        var perPosition = Enumerable.Range(0, anchors.Levels).Select(anchors.AnchorsPerPosition).Distinct().ToArray();
        if (perPosition.Length != 1)
            throw new ArgumentException($"The RPN head shares its layers between levels, so every level needs as many anchors per position; got [{string.Join(", ", Enumerable.Range(0, anchors.Levels).Select(anchors.AnchorsPerPosition))}].", nameof(anchors));
        Settings = settings ?? new RpnSettings();
        Settings.Validate();
        _head = new RpnHead(channels, perPosition[0], device);
        register_module("head", _head);
        _matcher = new BoxMatcher(Settings.ForegroundIoU, Settings.BackgroundIoU, allowLowQualityMatches: true);
        _sampler = new BalancedSampler(Settings.BatchSizePerImage, Settings.PositiveFraction);
    }

    /// <summary>The anchor generator.</summary>
    public AnchorGenerator Anchors { get; }

    /// <summary>Thresholds and sampling numbers.</summary>
    public RpnSettings Settings { get; }

    /// <summary>The proposal box coder: weights (1, 1, 1, 1).</summary>
    public BoxCoder Coder { get; } = new();

    /// <summary>Proposals for a batch, and in training mode the loss.</summary>
    /// <param name="batch"><c>[N, 3, Hb, Wb]</c>: the transformed batch (only its size is read: anchor strides are <c>Hb / Hmap</c>).</param>
    /// <param name="maps">The feature maps, one per anchor level, finest first.</param>
    /// <param name="imageSizes">Each image's (height, width) inside the batch.</param>
    /// <param name="targets">In training mode, each image's <c>[G, 4]</c> xyxy ground truth in batch pixels (G may be 0); ignored in evaluation mode.</param>
    /// <param name="generator">Random source of the anchor sampling. Defaults to null (the global one).</param>
    /// <returns>Per image, proposals <c>[K, 4]</c> (detached) and objectness probabilities; the two loss parts in training mode, else null.</returns>
    public (Tensor[] Proposals, Tensor[] Scores, Tensor? ObjectnessLoss, Tensor? BoxLoss) forward(Tensor batch, IReadOnlyList<Tensor> maps,
        IReadOnlyList<(int Height, int Width)> imageSizes, IReadOnlyList<Tensor>? targets = null, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(maps);
        ArgumentNullException.ThrowIfNull(imageSizes);
        if (maps.Count != Anchors.Levels)
            throw new ArgumentException($"The anchor generator has {Anchors.Levels} levels but the backbone gives {maps.Count} feature maps.", nameof(maps));
        if (imageSizes.Count != batch.shape[0])
            throw new ArgumentException($"imageSizes must give one size per image of the batch ({batch.shape[0]}), got {imageSizes.Count}.", nameof(imageSizes));
        long n = batch.shape[0];
        var (objectnessMaps, deltaMaps) = _head.forward(maps);
        var anchors = Anchors.Generate(batch.shape[2], batch.shape[3], maps.Select(m => (m.shape[2], m.shape[3])).ToArray(), batch.device);
        var anchorsPerLevel = objectnessMaps.Select(o => o.shape[1] * o.shape[2] * o.shape[3]).ToArray();
        var objectness = torch.cat(objectnessMaps.Select(o => RpnHead.Flatten(o, 1)).ToArray(), 1).reshape(n, -1);
        var deltas = torch.cat(deltaMaps.Select(d => RpnHead.Flatten(d, 4)).ToArray(), 1).reshape(-1, 4);
        var allAnchors = anchors.repeat(n, 1);
        var decoded = Coder.Decode(deltas.detach(), allAnchors).view(n, -1, 4);
        var selected = ProposalSelector.Select(decoded, objectness, anchorsPerLevel, imageSizes, Settings, training);
        var proposals = selected.Select(s => s.Boxes).ToArray();
        var scores = selected.Select(s => s.Scores).ToArray();
        if (!training)
            return (proposals, scores, null, null);
        if (targets is null || targets.Count != n)
            throw new ArgumentException($"In training mode the RPN needs one ground-truth box list per image ({n}), got {(targets is null ? "none" : targets.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))}.", nameof(targets));
        var (objectnessLoss, boxLoss) = Loss(objectness.reshape(-1), deltas, anchors, targets, generator);
        return (proposals, scores, objectnessLoss, boxLoss);
    }

    private (Tensor Objectness, Tensor Box) Loss(Tensor objectness, Tensor deltas, Tensor anchors, IReadOnlyList<Tensor> targets, Generator? generator)
    {
        long perImage = anchors.shape[0];
        var labels = new Tensor[targets.Count];
        var regression = new Tensor[targets.Count];
        var positive = new List<Tensor>();
        var negative = new List<Tensor>();
        for (int i = 0; i < targets.Count; i++)
        {
            var truth = targets[i].to(anchors.dtype);
            BoxChecks.CheckBoxList(truth, $"targets[{i}]");
            if (truth.shape[0] == 0)
            {
                labels[i] = torch.zeros(perImage, anchors.dtype, anchors.device);
                regression[i] = torch.zeros_like(anchors);
            }
            else
            {
                var matched = _matcher.Match(BoxIou.Pairwise(truth, anchors));
                labels[i] = (matched >= 0).to(anchors.dtype).masked_fill(matched == BoxMatcher.BetweenThresholds, -1);
                regression[i] = Coder.Encode(truth.index_select(0, matched.clamp_min(0)), anchors);
            }
            var (pos, neg) = _sampler.Sample(labels[i], generator);
            positive.Add(pos + i * perImage);
            negative.Add(neg + i * perImage);
        }
        var positives = torch.cat(positive, 0);
        var sampled = torch.cat(new[] { positives, torch.cat(negative, 0) }, 0);
        var allLabels = torch.cat(labels, 0);
        var allRegression = torch.cat(regression, 0);
        var boxLoss = nn.functional.smooth_l1_loss(deltas.index_select(0, positives), allRegression.index_select(0, positives),
            nn.Reduction.Sum, SmoothL1Beta) / Math.Max(1, sampled.shape[0]);
        var objectnessLoss = nn.functional.binary_cross_entropy_with_logits(objectness.index_select(0, sampled), allLabels.index_select(0, sampled));
        return (objectnessLoss, boxLoss);
    }

    /// <summary>Children are registered by name in the constructor (torchvision's names); TorchSharp must not add the fields again under their C# names.</summary>
    protected override void RegisterComponents()
    {
    }
}
