using Microsoft.ML.DeepExtensions.Optimizers;
using Microsoft.ML.DeepExtensions.Vision.Detection.Training;
using Microsoft.ML.Runtime;
using TorchSharp;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage.Training;

/// <summary>
/// Trains a <see cref="FasterRcnn"/> (a ResNet backbone, with or without a feature pyramid) inside <c>Fit()</c>, on the CPU
/// or a CUDA GPU, from random weights. Created through <c>mlContext.ObjectDetection().Trainers.FasterRcnn(...)</c>; fits a
/// <see cref="FasterRcnnDetector"/>.
/// </summary>
/// <remarks>
/// <para>Input: ML.NET's object-detection columns, as for every detector trainer (<see cref="DetectionTrainerOptions"/>);
/// images are letterboxed to <see cref="DetectionTrainerOptions.ImageSize"/>, which is also the transform's min and max size.</para>
/// <para>The loss is torchvision's sum of four parts, reported per epoch: <c>rpn-objectness</c>, <c>rpn-box</c>,
/// <c>classifier</c> and <c>box</c> (<see cref="RcnnLoss"/>); with <c>ValidationData</c> the COCO AP and AP50 of each
/// epoch are reported and early stopping keeps the weights of the best AP. The options' <c>ConfidenceThreshold</c>,
/// <c>IouThreshold</c> and <c>MaxDetections</c> replace the box head's score threshold, NMS threshold and detections
/// per image.</para>
/// </remarks>
public sealed class FasterRcnnTrainer : DetectionTrainer<FasterRcnnTrainer.Options, FasterRcnnDetector>
{
    /// <summary>Options of <see cref="FasterRcnnTrainer"/>; see <see cref="DetectionTrainerOptions"/> and <c>DeepTrainerOptions</c> for the shared ones.</summary>
    public sealed class Options : DetectionTrainerOptions
    {
        /// <summary>
        /// Creates the options with the Faster R-CNN defaults (see each field): 12 epochs, SGD with momentum 0.9 at 0.01 and
        /// weight decay 1e-4 (torchvision's reference recipe, its 0.02 halved for small batches), mini-batches of 4 images, and NMS at
        /// IoU 0.5 (torchvision's <c>box_nms_thresh</c>).
        /// </summary>
        public Options()
        {
            Epochs = 12;
            Optimizer = new MomentumSgd(learningRate: 0.01, momentum: 0.9, weightDecay: 1e-4);
            BatchSize = Microsoft.ML.DeepExtensions.Training.BatchSize.Of(4);
            IouThreshold = 0.5f;
        }

        /// <summary>ResNet depth of the backbone: 18, 34, 50, 101 or 152. Defaults to 18.</summary>
        public int BackboneDepth = 18;

        /// <summary>Whether the backbone has a feature pyramid (layer1–4, strides 4 to 64). Defaults to true; false uses the layer4 map only, with the paper's nine anchors.</summary>
        public bool Fpn = true;

        /// <summary>Channels of the pyramid's levels. Defaults to 256 (torchvision's).</summary>
        public int FpnChannels = 256;

        /// <summary>Anchor sizes (pixels, square root of the area) per level. Defaults to null: 32, 64, 128, 256, 512, one per pyramid level; 128, 256, 512 on the single map.</summary>
        public float[][]? AnchorSizes;

        /// <summary>Anchor aspect ratios (height / width), one list for every level or one per level. Defaults to null: 0.5, 1, 2.</summary>
        public float[][]? AspectRatios;

        /// <summary>RPN numbers. Defaults to <see cref="RpnSettings"/>' (torchvision's).</summary>
        public RpnSettings Rpn = new();

        /// <summary>Box head numbers (its score, NMS and count thresholds come from this trainer's options). Defaults to <see cref="RoIHeadSettings"/>' (torchvision's).</summary>
        public RoIHeadSettings RoIHeads = new();

        internal override void Validate()
        {
            base.Validate();
            Require(BackboneDepth is 18 or 34 or 50 or 101 or 152, nameof(BackboneDepth), $"must be 18, 34, 50, 101 or 152, got {BackboneDepth}");
            Require(FpnChannels > 0, nameof(FpnChannels), $"must be positive, got {FpnChannels}");
            Require(Rpn is not null, nameof(Rpn), "must be set");
            Require(RoIHeads is not null, nameof(RoIHeads), "must be set");
            Rpn!.Validate();
            RoIHeads!.Validate();
            int levels = Fpn ? 5 : 1;
            Require(AnchorSizes is null || AnchorSizes.Length == levels, nameof(AnchorSizes), $"must give one list per feature map ({levels} {(Fpn ? "with" : "without")} the pyramid), got {AnchorSizes?.Length}");
            Require(AspectRatios is null || AspectRatios.Length == 1 || AspectRatios.Length == levels, nameof(AspectRatios), $"must give one list, or one per feature map ({levels}), got {AspectRatios?.Length}");
        }

        /// <summary>The network's architecture for these options and the data's classes and input size.</summary>
        internal FasterRcnnArchitecture Architecture(int objectClasses, int imageSize)
        {
            var sizes = AnchorSizes ?? (Fpn ? new[] { 32f, 64f, 128f, 256f, 512f }.Select(s => new[] { s }).ToArray() : new[] { new[] { 128f, 256f, 512f } });
            var ratios = AspectRatios ?? new[] { new[] { 0.5f, 1f, 2f } };
            var roi = RoIHeads with { ScoreThreshold = ConfidenceThreshold, NmsThreshold = IouThreshold, DetectionsPerImage = MaxDetections };
            return new FasterRcnnArchitecture(BackboneDepth, Fpn, FpnChannels, objectClasses + 1, imageSize, sizes, ratios, Rpn, roi);
        }
    }

    internal FasterRcnnTrainer(IHostEnvironment env, Options options)
        : base(env, options, nameof(FasterRcnnTrainer))
    {
    }

    private protected override TrainableDetector CreateDetector(DetectionTrainingSetup setup)
    {
        var architecture = TrainerOptions.Architecture(setup.ClassNames.Count, setup.ImageSize);
        var network = architecture.Build(setup.Device);
        try
        {
            network.to(setup.Device);
            return new FasterRcnnTrainableDetector(network, new torch.Generator((ulong)setup.Seed));
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    private protected override FasterRcnnDetector CreateTransformer(TrainableDetector detector, DetectionTrainingSetup setup, DetectionColumns columns)
    {
        var rcnn = (FasterRcnnTrainableDetector)detector;
        var architecture = TrainerOptions.Architecture(setup.ClassNames.Count, setup.ImageSize);
        return new FasterRcnnDetector(Host, rcnn, architecture, TrainerOptions.ImageColumnName, columns,
            TrainerOptions.ScoringBatchSize, setup.Device, TrainerOptions.Device, TrainerOptions.CudaDeviceIndex);
    }
}
