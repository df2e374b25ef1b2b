using Microsoft.ML.DeepExtensions.Optimizers;
using Microsoft.ML.DeepExtensions.Vision.Detection.Training;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage.Training;

/// <summary>
/// Options the two-stage detector trainers share (<see cref="FasterRcnnTrainer"/>, <see cref="MaskRcnnTrainer"/>): the
/// ResNet backbone with or without a feature pyramid, the anchors, and the RPN and box head numbers; see
/// <see cref="DetectionTrainerOptions"/> and <c>DeepTrainerOptions</c> for the rest.
/// </summary>
public abstract class RcnnTrainerOptions : DetectionTrainerOptions
{
    /// <summary>
    /// Creates the options with the R-CNN defaults (see each field): 12 epochs, SGD with momentum 0.9 at 0.01 and
    /// weight decay 1e-4 (torchvision's reference recipe, its 0.02 halved for small batches), mini-batches of 4 images, scoring
    /// 4 images at a time, and NMS at IoU 0.5 (torchvision's <c>box_nms_thresh</c>).
    /// </summary>
    protected RcnnTrainerOptions()
    {
        Epochs = 12;
        Optimizer = new MomentumSgd(learningRate: 0.01, momentum: 0.9, weightDecay: 1e-4);
        BatchSize = Microsoft.ML.DeepExtensions.Training.BatchSize.Of(4);
        // Each scored image sends its 1,000 proposals through the box head (256 x 7 x 7 pooled floats each, 50 MB an image
        // before the layers' own): 16 images at a time took a 100-image evaluate to a 5.1 GB peak.
        ScoringBatchSize = 4;
        IouThreshold = 0.5f;
    }

    /// <summary>
    /// The project's architecture of the backbone's body, from random weights: a ResNet of <see cref="BackboneDepth"/> or
    /// VGG-16 (the Faster R-CNN paper's; its single map is conv5_3 at stride 16, its pyramid has blocks 3 to 5 and the pooled
    /// level). Defaults to <see cref="RcnnBackboneNetwork.ResNet"/>. <see cref="OnnxBackbone"/> replaces it.
    /// </summary>
    public RcnnBackboneNetwork Backbone = RcnnBackboneNetwork.ResNet;

    /// <summary>ResNet depth of the backbone: 18, 34, 50, 101 or 152. Defaults to 18.</summary>
    public int BackboneDepth = 18;

    /// <summary>Whether the backbone has a feature pyramid (a ResNet's layer1–4, strides 4 to 64). Defaults to true; false uses the last map only (a ResNet's layer4), with the paper's nine anchors.</summary>
    public bool Fpn = true;

    /// <summary>
    /// An ONNX file whose network is the backbone's body instead of the ResNet of <see cref="BackboneDepth"/>, e.g. the
    /// ImageNet-pretrained ResNet18.onnx of ML.NET's <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> package: imported as
    /// trainable layers (<c>OnnxGraphModule</c>; its operators as the importer supports them), started from the file's
    /// weights and fine-tuned with the rest inside <c>Fit()</c>. It reads the images as the ResNet does (RGB in [0, 1]
    /// normalized with ImageNet's mean and deviation). The model keeps the graph's structure and its trained weights, so it
    /// loads without the file. Defaults to null: the ResNet.
    /// </summary>
    public string? OnnxBackbone;

    /// <summary>
    /// The values (or node names, standing for their first output) of <see cref="OnnxBackbone"/> that are the feature maps,
    /// finest first, each <c>[N, C, H, W]</c>: the last convolution stage's output without <see cref="Fpn"/>; one map per
    /// pyramid level with it, e.g. ResNet18.onnx's four stage outputs <c>ReLU283</c>, <c>ReLU315</c>, <c>ReLU347</c> and
    /// <c>ReLU393</c> (strides 4 to 32). Defaults to null: the graph's only output, which must then be a 4-D map (ResNet18.onnx's
    /// is its pooled 1 x 1 features: name <c>ReLU393</c> instead).
    /// </summary>
    public string[]? OnnxBackboneFeatureMaps;

    /// <summary>Channels of the pyramid's levels. Defaults to 256 (torchvision's).</summary>
    public int FpnChannels = 256;

    /// <summary>
    /// Anchor sizes (pixels, square root of the area) per level. Defaults to null: 32, 64, 128, 256, 512, one per pyramid
    /// level (torchvision's; 32 to 256 over VGG-16's four levels); on the single map the paper's 128, 256, 512, which are for images of 600 pixels, scaled to
    /// <see cref="DetectionTrainerOptions.ImageSize"/> (34, 68, 137 at 160).
    /// </summary>
    public float[][]? AnchorSizes;

    /// <summary>Anchor aspect ratios (height / width), one list for every level or one per level. Defaults to null: 0.5, 1, 2.</summary>
    public float[][]? AspectRatios;

    /// <summary>
    /// Whether the backbone's batch normalization stays fixed in training: its running statistics normalize and are not
    /// updated, its scale and shift are not trained (torchvision's <c>FrozenBatchNorm2d</c>). Defaults to null: frozen over a
    /// pretrained <see cref="OnnxBackbone"/>, whose statistics batches of a few images would only blur (torchvision freezes
    /// it over pretrained weights), trained from random weights, where there are no statistics to keep.
    /// </summary>
    public bool? FrozenBatchNorm;

    /// <summary>RPN numbers. Defaults to <see cref="RpnSettings"/>' (torchvision's).</summary>
    public RpnSettings Rpn = new();

    /// <summary>Box head numbers (its score, NMS and count thresholds come from this trainer's options). Defaults to <see cref="RoIHeadSettings"/>' (torchvision's).</summary>
    public RoIHeadSettings RoIHeads = new();

    /// <summary>The mask branch of the network these options build; null for boxes only.</summary>
    private protected virtual MaskHeadSettings? MaskBranch => null;

    internal override void Validate()
    {
        base.Validate();
        Require(BackboneDepth is 18 or 34 or 50 or 101 or 152, nameof(BackboneDepth), $"must be 18, 34, 50, 101 or 152, got {BackboneDepth}");
        Require(Enum.IsDefined(Backbone), nameof(Backbone), $"must be one of {string.Join(", ", Enum.GetNames<RcnnBackboneNetwork>())}, got {(int)Backbone}");
        Require(FpnChannels > 0, nameof(FpnChannels), $"must be positive, got {FpnChannels}");
        Require(Rpn is not null, nameof(Rpn), "must be set");
        Require(RoIHeads is not null, nameof(RoIHeads), "must be set");
        Rpn!.Validate();
        RoIHeads!.Validate();
        if (OnnxBackbone is not null)
        {
            Require(File.Exists(OnnxBackbone), nameof(OnnxBackbone), $"must be an existing ONNX file, got '{OnnxBackbone}'");
            Require(!Fpn || OnnxBackboneFeatureMaps is { Length: > 0 }, nameof(OnnxBackboneFeatureMaps),
                $"must name the feature maps of '{OnnxBackbone}' the pyramid is built on (e.g. the outputs of its stages, finest first) when Fpn is set");
            Require(Fpn || OnnxBackboneFeatureMaps is null || OnnxBackboneFeatureMaps.Length <= 1, nameof(OnnxBackboneFeatureMaps),
                $"must name one feature map without Fpn (the single-map model), got {OnnxBackboneFeatureMaps?.Length}: [{string.Join(", ", OnnxBackboneFeatureMaps ?? Array.Empty<string>())}]");
        }
        else
            Require(OnnxBackboneFeatureMaps is null, nameof(OnnxBackboneFeatureMaps), "applies to an OnnxBackbone only");
        int levels = PyramidLevels;
        Require(AnchorSizes is null || AnchorSizes.Length == levels, nameof(AnchorSizes), $"must give one list per feature map ({levels} {(Fpn ? "with" : "without")} the pyramid), got {AnchorSizes?.Length}");
        Require(AspectRatios is null || AspectRatios.Length == 1 || AspectRatios.Length == levels, nameof(AspectRatios), $"must give one list, or one per feature map ({levels}), got {AspectRatios?.Length}");
    }

    /// <summary>The shorter image side the Faster R-CNN paper's anchor sizes (128, 256, 512) were chosen for.</summary>
    private const float PaperImageSize = 600;

    /// <summary>Feature maps the RPN sees: one per body map plus the pooled level with the pyramid (5 over a ResNet), 1 without.</summary>
    private int PyramidLevels => Fpn ? BodyMaps + 1 : 1;

    /// <summary>The body's maps under a pyramid: a ResNet's four stages, VGG-16's last three blocks, or the named ONNX maps.</summary>
    private int BodyMaps => OnnxBackbone is not null ? OnnxBackboneFeatureMaps!.Length : Backbone == RcnnBackboneNetwork.ResNet ? 4 : 3;

    // The ONNX backbone read once per fit (the trainer asks for the architecture when it builds the network and again for the model).
    private (string Path, string Maps, OnnxRcnnBackbone Backbone)? _onnxBackbone;

    /// <summary>The ONNX backbone of these options, read (and checked) on first use; null for the ResNet.</summary>
    private OnnxRcnnBackbone? LoadOnnxBackbone()
    {
        if (OnnxBackbone is null)
            return null;
        string maps = string.Join("\n", OnnxBackboneFeatureMaps ?? Array.Empty<string>());
        if (_onnxBackbone is not { } cached || cached.Path != OnnxBackbone || cached.Maps != maps)
            _onnxBackbone = cached = (OnnxBackbone, maps, OnnxRcnnBackbone.Load(OnnxBackbone, OnnxBackboneFeatureMaps));
        return cached.Backbone;
    }

    /// <summary>The network's architecture for these options and the data's classes and input size.</summary>
    internal FasterRcnnArchitecture Architecture(int objectClasses, int imageSize)
    {
        // Anchor sizes double from 32 per pyramid level (torchvision's 32 to 512 over a ResNet's five levels). The single
        // map's are relative to the image: the paper's 512 on a 160-pixel image would match no object well.
        var sizes = AnchorSizes ?? (Fpn
            ? Enumerable.Range(0, PyramidLevels).Select(i => new[] { 32f * (1 << i) }).ToArray()
            : new[] { new[] { 128f, 256f, 512f }.Select(s => MathF.Round(s * imageSize / PaperImageSize)).ToArray() });
        var ratios = AspectRatios ?? new[] { new[] { 0.5f, 1f, 2f } };
        var roi = RoIHeads with { ScoreThreshold = ConfidenceThreshold, NmsThreshold = IouThreshold, DetectionsPerImage = MaxDetections };
        return new FasterRcnnArchitecture(BackboneDepth, Fpn, FpnChannels, objectClasses + 1, imageSize, sizes, ratios, Rpn, roi, MaskBranch, LoadOnnxBackbone(), Backbone);
    }

    /// <summary>A fresh network for these options and the data's classes and size, on the setup's device.</summary>
    internal FasterRcnnTrainableDetector CreateDetector(DetectionTrainingSetup setup)
    {
        var detector = FasterRcnnTrainableDetector.Create(Architecture(setup.ClassNames.Count, setup.ImageSize), setup);
        if (FrozenBatchNorm ?? OnnxBackbone is not null)
            detector.Network.Backbone.FreezeBatchNorm();
        return detector;
    }

    /// <summary>The fitted detector's parts: the trained network with these options' architecture, columns, scoring batch and device.</summary>
    internal RcnnDetector.Parts DetectorParts(TrainableDetector detector, DetectionTrainingSetup setup, DetectionColumns columns) =>
        new((FasterRcnnTrainableDetector)detector, Architecture(setup.ClassNames.Count, setup.ImageSize), ImageColumnName, columns,
            ScoringBatchSize, setup.Device, Device, CudaDeviceIndex);
}
