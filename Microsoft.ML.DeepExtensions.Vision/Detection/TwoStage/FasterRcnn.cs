using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// Faster R-CNN (Ren, He, Girshick and Sun, "Faster R-CNN: Towards Real-Time Object Detection with Region Proposal
/// Networks", NeurIPS 2015; torchvision's <c>GeneralizedRCNN</c>/<c>FasterRCNN</c>) as composed stages: the
/// <see cref="RcnnImageTransform"/>, an <see cref="RcnnBackbone"/> (<c>backbone</c>), a
/// <see cref="RegionProposalNetwork"/> (<c>rpn</c>) and the <see cref="RoIHeads"/> (<c>roi_heads</c>). Given
/// <see cref="MaskHeadSettings"/>, the RoI heads also have Mask R-CNN's mask branch (He, Gkioxari, Dollár and Girshick,
/// "Mask R-CNN", ICCV 2017; torchvision's <c>MaskRCNN</c>, which is a <c>FasterRCNN</c> with that branch): detections
/// then carry mask probabilities and the loss a fifth part (see <see cref="MaskRcnn"/> for its builders).
/// </summary>
/// <remarks>
/// Parameter names and shapes are torchvision's (<c>backbone.body.layer1.0.conv1.weight</c>,
/// <c>backbone.fpn.inner_blocks.0.0.weight</c>, <c>rpn.head.conv.0.0.weight</c>, <c>roi_heads.box_head.fc6.weight</c>,
/// <c>roi_heads.box_predictor.cls_score.weight</c>, <c>roi_heads.mask_head.0.0.weight</c>, …), so a torchvision state dictionary copies across name by name.
/// Class 0 is the background.
/// </remarks>
public sealed class FasterRcnn : nn.Module
{
    private readonly RcnnBackbone _backbone;
    private readonly RegionProposalNetwork _rpn;
    private readonly RoIHeads _roiHeads;

    /// <param name="backbone">The feature extractor.</param>
    /// <param name="anchors">One anchor level per backbone map; every level with as many anchors per position.</param>
    /// <param name="classes">Classes including the background; at least 2.</param>
    /// <param name="transform">Image normalization and resizing.</param>
    /// <param name="rpnSettings">RPN numbers. Defaults to <see cref="RpnSettings"/>' defaults.</param>
    /// <param name="roiHeadSettings">Box head numbers. Defaults to <see cref="RoIHeadSettings"/>' defaults.</param>
    /// <param name="device">Where the head weights live (the backbone's are where it was built). Defaults to the CPU.</param>
    /// <param name="maskHead">The mask branch's numbers for a Mask R-CNN; null (the default) for a Faster R-CNN.</param>
    public FasterRcnn(RcnnBackbone backbone, AnchorGenerator anchors, int classes, RcnnImageTransform transform,
        RpnSettings? rpnSettings = null, RoIHeadSettings? roiHeadSettings = null, Device? device = null, MaskHeadSettings? maskHead = null) : base(nameof(FasterRcnn))
    {
        _backbone = backbone ?? throw new ArgumentNullException(nameof(backbone));
        ArgumentNullException.ThrowIfNull(anchors);
        Transform = transform ?? throw new ArgumentNullException(nameof(transform));
        if (anchors.Levels != backbone.FeatureNames.Count)
            throw new ArgumentException($"The anchors have {anchors.Levels} levels but the backbone gives {backbone.FeatureNames.Count} maps ({string.Join(", ", backbone.FeatureNames)}).", nameof(anchors));
        _rpn = new RegionProposalNetwork(anchors, backbone.OutChannels, rpnSettings, device);
        var pooled = backbone.HasPyramid ? backbone.FeatureNames.Where(n => n != "pool").ToArray() : backbone.FeatureNames.ToArray();
        _roiHeads = new RoIHeads(pooled, backbone.OutChannels, classes, roiHeadSettings, device, maskHead);
        register_module("backbone", _backbone);
        register_module("rpn", _rpn);
        register_module("roi_heads", _roiHeads);
    }

    /// <summary>
    /// torchvision's <c>fasterrcnn_resnet50_fpn</c> layout on any ResNet depth: ResNet layer1–4 with an FPN, one anchor size per
    /// level (32, 64, 128, 256, 512) with aspect ratios 0.5, 1 and 2, and torchvision's RPN and box head numbers unless given.
    /// </summary>
    /// <param name="depth">ResNet depth: 18, 34, 50, 101 or 152.</param>
    /// <param name="classes">Classes including the background.</param>
    /// <param name="minSize">The transform's shorter side. Defaults to 800.</param>
    /// <param name="maxSize">The transform's longer-side cap. Defaults to 1333.</param>
    /// <param name="fpnChannels">Pyramid channels. Defaults to 256.</param>
    /// <param name="rpnSettings">RPN numbers. Defaults to <see cref="RpnSettings"/>' defaults.</param>
    /// <param name="roiHeadSettings">Box head numbers. Defaults to <see cref="RoIHeadSettings"/>' defaults.</param>
    /// <param name="device">Where the weights live. Defaults to the CPU.</param>
    public static FasterRcnn ResNetFpn(int depth, int classes, int minSize = 800, int maxSize = 1333, int fpnChannels = 256,
        RpnSettings? rpnSettings = null, RoIHeadSettings? roiHeadSettings = null, Device? device = null) =>
        new(RcnnBackbone.ResNetFpn(depth, fpnChannels, device), FpnAnchors(), classes, new RcnnImageTransform(minSize, maxSize), rpnSettings, roiHeadSettings, device);

    /// <summary>
    /// The original Faster R-CNN layout on a ResNet: the stride-32 layer4 map only, with the paper's nine anchors per
    /// position (sizes 128, 256, 512 × aspect ratios 0.5, 1, 2; <see cref="AnchorGenerator.FasterRcnn"/>).
    /// </summary>
    /// <inheritdoc cref="ResNetFpn" path="/param"/>
    public static FasterRcnn ResNetSingleMap(int depth, int classes, int minSize = 800, int maxSize = 1333,
        RpnSettings? rpnSettings = null, RoIHeadSettings? roiHeadSettings = null, Device? device = null) =>
        new(RcnnBackbone.ResNetSingleMap(depth, device), AnchorGenerator.FasterRcnn(), classes, new RcnnImageTransform(minSize, maxSize), rpnSettings, roiHeadSettings, device);

    /// <summary>torchvision's FPN anchors: sizes 32, 64, 128, 256, 512, one per level, each with aspect ratios 0.5, 1 and 2.</summary>
    public static AnchorGenerator FpnAnchors() => new(
        new[] { 32f, 64f, 128f, 256f, 512f }.Select(s => (IReadOnlyList<float>)new[] { s }).ToArray(),
        new[] { new[] { 0.5f, 1f, 2f } });

    /// <summary>Image normalization and resizing.</summary>
    public RcnnImageTransform Transform { get; }

    /// <summary>The feature extractor.</summary>
    public RcnnBackbone Backbone => _backbone;

    /// <summary>The region proposal network.</summary>
    public RegionProposalNetwork Rpn => _rpn;

    /// <summary>The box head.</summary>
    public RoIHeads RoIHeads => _roiHeads;

    /// <summary>Classes including the background.</summary>
    public int Classes => _roiHeads.Classes;

    /// <summary>Whether the network has Mask R-CNN's mask branch.</summary>
    public bool HasMasks => _roiHeads.HasMasks;

    /// <summary>Detections of images of any sizes, in each image's own pixels (evaluation mode; call <c>eval()</c> first). With a mask branch each
    /// detection has its mask probabilities on its box's grid; <see cref="MaskPaster.Paste"/> with the image's size gives torchvision's pasted masks.</summary>
    /// <param name="images">Each <c>[3, H, W]</c> float RGB in [0, 1].</param>
    public RcnnDetections[] Detect(IReadOnlyList<Tensor> images)
    {
        RequireMode(false);
        var (batch, sizes) = Transform.Apply(images);
        var detections = DetectBatch(batch, sizes);
        return detections.Select((d, i) =>
        {
            var original = ((int)images[i].shape[1], (int)images[i].shape[2]);
            return d with { Boxes = RcnnImageTransform.ScaleBoxes(d.Boxes, sizes[i], original) };
        }).ToArray();
    }

    /// <summary>Detections of a transformed batch, in its pixels (evaluation mode).</summary>
    /// <param name="batch"><c>[N, 3, Hb, Wb]</c> normalized images.</param>
    /// <param name="imageSizes">Each image's (height, width) inside the batch.</param>
    public RcnnDetections[] DetectBatch(Tensor batch, IReadOnlyList<(int Height, int Width)> imageSizes)
    {
        RequireMode(false);
        var (maps, features) = Features(batch);
        var (proposals, _, _, _) = _rpn.forward(batch, maps, imageSizes);
        return _roiHeads.forward(features, proposals, imageSizes).Detections!;
    }

    /// <summary>The training loss of images of any sizes with their objects in the images' own pixels (training mode; call <c>train()</c> first).</summary>
    /// <param name="images">Each <c>[3, H, W]</c> float RGB in [0, 1].</param>
    /// <param name="targets">Per image, <c>[G, 4]</c> xyxy boxes (positive width and height) and <c>[G]</c> int64 classes counted from 1; G may be 0.</param>
    /// <param name="generator">Random source of the anchor and proposal sampling. Defaults to null (the global one).</param>
    public RcnnLoss Loss(IReadOnlyList<Tensor> images, IReadOnlyList<(Tensor Boxes, Tensor Labels)> targets, Generator? generator = null) =>
        Loss(images, targets, null, generator);

    /// <summary>The training loss of images of any sizes, with the objects' masks for a Mask R-CNN (training mode).</summary>
    /// <param name="images">Each <c>[3, H, W]</c> float RGB in [0, 1].</param>
    /// <param name="targets">Per image, <c>[G, 4]</c> xyxy boxes (positive width and height) and <c>[G]</c> int64 classes counted from 1; G may be 0.</param>
    /// <param name="masks">Mask R-CNN: per image, <c>[G, H, W]</c> binary masks of its objects at its size (resized with the image,
    /// nearest neighbour, as torchvision); null for a Faster R-CNN.</param>
    /// <param name="generator">Random source of the anchor and proposal sampling. Defaults to null (the global one).</param>
    public RcnnLoss Loss(IReadOnlyList<Tensor> images, IReadOnlyList<(Tensor Boxes, Tensor Labels)> targets, IReadOnlyList<Tensor>? masks, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Count != images.Count)
            throw new ArgumentException($"targets must give one ground truth per image ({images.Count}), got {targets.Count}.", nameof(targets));
        if (masks is not null && masks.Count != images.Count)
            throw new ArgumentException($"masks must give one mask tensor per image ({images.Count}), got {masks.Count}.", nameof(masks));
        var originals = images.Select(image => image is null || image.dim() != 3 ? (0, 0) : ((int)image.shape[1], (int)image.shape[2])).ToArray();
        if (masks is not null)
            CheckMasks(targets, masks, originals);
        var (batch, sizes) = Transform.Apply(images);
        var scaled = targets.Select((t, i) =>
            (RcnnImageTransform.ScaleBoxes(t.Boxes.to(ScalarType.Float32), originals[i], sizes[i]), t.Labels)).ToArray();
        var resizedMasks = masks?.Select((m, i) => RcnnImageTransform.ResizeMasks(m, sizes[i])).ToArray();
        return LossBatch(batch, sizes, scaled, resizedMasks, generator);
    }

    /// <summary>The training loss of a transformed batch, objects in its pixels (training mode).</summary>
    /// <param name="batch"><c>[N, 3, Hb, Wb]</c> normalized images.</param>
    /// <param name="imageSizes">Each image's (height, width) inside the batch.</param>
    /// <param name="targets">Per image, <c>[G, 4]</c> xyxy boxes and <c>[G]</c> int64 classes counted from 1.</param>
    /// <param name="generator">Random source of the sampling. Defaults to null (the global one).</param>
    public RcnnLoss LossBatch(Tensor batch, IReadOnlyList<(int Height, int Width)> imageSizes, IReadOnlyList<(Tensor Boxes, Tensor Labels)> targets, Generator? generator = null) =>
        LossBatch(batch, imageSizes, targets, null, generator);

    /// <summary>The training loss of a transformed batch, objects and their masks in its pixels (training mode).</summary>
    /// <param name="batch"><c>[N, 3, Hb, Wb]</c> normalized images.</param>
    /// <param name="imageSizes">Each image's (height, width) inside the batch.</param>
    /// <param name="targets">Per image, <c>[G, 4]</c> xyxy boxes and <c>[G]</c> int64 classes counted from 1.</param>
    /// <param name="masks">Mask R-CNN: per image, <c>[G, h, w]</c> binary masks at its (height, width) in the batch; null for a Faster R-CNN.</param>
    /// <param name="generator">Random source of the sampling. Defaults to null (the global one).</param>
    public RcnnLoss LossBatch(Tensor batch, IReadOnlyList<(int Height, int Width)> imageSizes, IReadOnlyList<(Tensor Boxes, Tensor Labels)> targets,
        IReadOnlyList<Tensor>? masks, Generator? generator = null)
    {
        RequireMode(true);
        CheckTargets(targets);
        if (HasMasks && masks is null)
            throw new ArgumentNullException(nameof(masks), "Mask R-CNN's loss needs the ground-truth masks of every image's objects; masks is null.");
        if (!HasMasks && masks is not null)
            throw new ArgumentException("masks are for a Mask R-CNN; this network has no mask branch.", nameof(masks));
        if (masks is not null)
            CheckMasks(targets, masks, imageSizes);
        var (maps, features) = Features(batch);
        var (proposals, _, objectness, rpnBox) = _rpn.forward(batch, maps, imageSizes, targets.Select(t => t.Boxes).ToArray(), generator);
        var (_, classifier, box, mask) = _roiHeads.forward(features, proposals, imageSizes, targets, generator, masks);
        return new RcnnLoss(objectness!, rpnBox!, classifier!, box!, mask);
    }

    /// <summary>The backbone's maps in order (for the RPN, one per anchor level) and by name (for RoI pooling).</summary>
    private (Tensor[] Maps, Dictionary<string, Tensor> ByName) Features(Tensor batch)
    {
        var maps = _backbone.forward(batch);
        var byName = new Dictionary<string, Tensor>(maps.Length);
        for (int i = 0; i < maps.Length; i++)
            byName[_backbone.FeatureNames[i]] = maps[i];
        return (maps, byName);
    }

    private void RequireMode(bool trainingMode)
    {
        if (training != trainingMode)
            throw new InvalidOperationException(trainingMode
                ? "The loss needs the network in training mode: call train() first."
                : "Detection needs the network in evaluation mode: call eval() first.");
    }

    /// <summary>torchvision's check: every target box must have a positive width and height, and classes must be object classes (1 to Classes − 1).</summary>
    private void CheckTargets(IReadOnlyList<(Tensor Boxes, Tensor Labels)> targets)
    {
        for (int i = 0; i < targets.Count; i++)
        {
            var (boxes, labels) = targets[i];
            BoxChecks.CheckBoxList(boxes, $"targets[{i}].Boxes");
            if (labels is null || labels.dim() != 1 || labels.shape[0] != boxes.shape[0] || labels.is_floating_point())
                throw new ArgumentException($"targets[{i}].Labels must hold one integer class per box ({boxes.shape[0]}), got {(labels is null ? "null" : $"{labels.dtype} [{string.Join(", ", labels.shape)}]")}.", nameof(targets));
            if (boxes.shape[0] == 0)
                continue;
            using var scope = torch.NewDisposeScope();
            var degenerate = ((boxes[.., 2] <= boxes[.., 0]).logical_or(boxes[.., 3] <= boxes[.., 1])).nonzero();
            if (degenerate.shape[0] > 0)
            {
                long k = degenerate[0, 0].item<long>();
                var box = boxes[k].to(ScalarType.Float32).cpu().data<float>().ToArray();
                throw new ArgumentException($"All target boxes must have a positive width and height; targets[{i}] box {k} is [{string.Join(", ", box)}].", nameof(targets));
            }
            long low = labels.min().item<long>(), high = labels.max().item<long>();
            if (low < 1 || high >= Classes)
                throw new ArgumentOutOfRangeException(nameof(targets), $"targets[{i}].Labels must be object classes in [1, {Classes - 1}] (0 is the background), got values in [{low}, {high}].");
        }
    }

    /// <summary>Each image's masks must be <c>[G, H, W]</c>: one per target box, at the image's size.</summary>
    private static void CheckMasks(IReadOnlyList<(Tensor Boxes, Tensor Labels)> targets, IReadOnlyList<Tensor> masks, IReadOnlyList<(int Height, int Width)> sizes)
    {
        if (masks.Count != targets.Count)
            throw new ArgumentException($"masks must give one mask tensor per image ({targets.Count}), got {masks.Count}.", nameof(masks));
        for (int i = 0; i < masks.Count; i++)
        {
            var m = masks[i];
            long objects = targets[i].Boxes?.shape[0] ?? 0;
            if (m is null || m.dim() != 3 || m.shape[0] != objects || m.shape[1] != sizes[i].Height || m.shape[2] != sizes[i].Width)
                throw new ArgumentException(
                    $"masks[{i}] must be [{objects}, {sizes[i].Height}, {sizes[i].Width}] (one mask per target box at the image's size), got {(m is null ? "null" : $"{m.dtype} [{string.Join(", ", m.shape)}]")}.", nameof(masks));
        }
    }

    /// <summary>Children are registered by name in the constructor (torchvision's names); TorchSharp must not add the fields again under their C# names.</summary>
    protected override void RegisterComponents()
    {
    }
}
