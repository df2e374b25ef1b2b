using Microsoft.ML.DeepExtensions.Optimizers;
using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;
using Microsoft.ML.DeepExtensions.Vision.Detection.Training;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo.Training;

/// <summary>
/// Trains a YOLO detector (YOLOv3, YOLOv3-tiny or any Darknet cfg with <c>[yolo]</c> layers) inside <c>Fit()</c>,
/// on the CPU or a CUDA GPU, from random weights or from Darknet <c>.weights</c> (e.g. a backbone). Created through
/// <c>mlContext.ObjectDetection().Trainers.Yolo(...)</c>; fits a <see cref="DarknetYoloDetector"/>.
/// </summary>
/// <remarks>
/// <para>Input: ML.NET's object-detection columns, an image column (any size: letterboxed to <see cref="DetectionTrainerOptions.ImageSize"/>),
/// a <c>Label</c> vector of keys and a <c>Box</c> vector of x0 y0 x1 y1 per object (the loaders of
/// <c>DeepExtensions.Vision.Data.Detection</c> make them from COCO, YOLO and Pascal VOC folders).</para>
/// <para>The loss is YOLOv3's (<see cref="YoloLoss"/>) with its parts <c>box</c>, <c>objectness</c> and <c>class</c> reported per
/// epoch; with <c>ValidationData</c> the COCO AP and AP50 of each epoch are reported and early stopping keeps the weights
/// of the best AP.</para>
/// </remarks>
public sealed class YoloTrainer : DetectionTrainer<YoloTrainer.Options, DarknetYoloDetector>
{
    /// <summary>Options of <see cref="YoloTrainer"/>; see <see cref="DetectionTrainerOptions"/> and <c>DeepTrainerOptions</c> for the shared ones.</summary>
    public sealed class Options : DetectionTrainerOptions
    {
        /// <summary>
        /// Creates the options with the YOLO defaults (see each field); 24 epochs, which train the default network on
        /// 2,000 images of 160x160 in about 12 minutes on 2 CPU cores, Adam at 0.003, and the shared augmentations with
        /// copy-paste on every image (<see cref="DetectionAugmentationOptions.CopyPaste"/> 1: on held-out data of the issue's
        /// kind, the CLI's 14-minute run gave test AP50 0.639 against 0.591-0.604 with copy-paste on half of the images and
        /// 0.576 without).
        /// </summary>
        public Options()
        {
            Epochs = 24;
            Optimizer = new Adam(learningRate: 0.003);
            Augmentation.CopyPaste = 1;
        }

        /// <summary>
        /// The network: <c>yolov3</c>, <c>yolov3-tiny</c>, <c>yolov3-tiny-3l</c> (each optionally <c>:width=W</c>, a filter
        /// multiplier; see <see cref="YoloArchitectures"/>) or the path of a Darknet cfg file with <c>[yolo]</c> layers. Its
        /// classes, anchors and input size are set from the data and these options. Defaults to
        /// <c>yolov3-tiny-3l:width=0.5</c>, which trains on a CPU in minutes; its stride-8 head raised test AP50 from 0.19 to
        /// 0.26 over <c>yolov3-tiny:width=0.5</c> on held-out data of the issue's kind (8 epochs).
        /// </summary>
        public string Architecture = "yolov3-tiny-3l:width=0.5";

        /// <summary>Where the anchors come from. Defaults to <see cref="YoloAnchorSource.KMeans"/> over the training boxes.</summary>
        public YoloAnchorSource Anchors = YoloAnchorSource.KMeans;

        /// <summary>Darknet <c>.weights</c> to start from (fine-tuning), e.g. a backbone such as <c>darknet53.conv.74</c>. Defaults to null: random weights.</summary>
        public string? InitialWeightsPath;

        /// <summary>
        /// Read only this many leading layers of <see cref="InitialWeightsPath"/> (Darknet's <c>partial</c>: a backbone). Defaults to null:
        /// every layer whose shape fits; the output convolutions before each <c>[yolo]</c> layer are left random when the class count differs.
        /// </summary>
        public int? InitialWeightsLayerCount;

        /// <summary>The box regression. Defaults to <see cref="YoloBoxLoss.SquaredError"/>, YOLOv3's.</summary>
        public YoloBoxLoss BoxLoss = YoloBoxLoss.SquaredError;

        /// <summary>The responsible predictions' objectness target. Defaults to <see cref="YoloObjectnessTarget.Iou"/> (confidence = Pr(object) × IoU).</summary>
        public YoloObjectnessTarget ObjectnessTarget = YoloObjectnessTarget.Iou;

        /// <summary>
        /// Besides each object's best anchor (YOLOv3), every anchor whose shape IoU with the object exceeds this is
        /// responsible for it too, in its head's cell holding the centre (AlexeyAB's Darknet <c>iou_thresh</c>; YOLOv4
        /// uses 0.213). More positives per object: classes and boxes learn from more samples per epoch. Null: the best
        /// anchor only. Scoring is unaffected. Defaults to 0.213: on held-out data of the issue's kind (2,000 images,
        /// 8 epochs of YOLOv3-tiny) it raised test AP50 from 0.19 to 0.31.
        /// </summary>
        public float? AnchorMatchThreshold = 0.213f;

        /// <summary>
        /// The factor of the loss's <c>class</c> part against <c>box</c> and <c>objectness</c> (Ultralytics' <c>cls</c> gain).
        /// Defaults to 1, YOLOv3's plain sum.
        /// </summary>
        public float ClassLossWeight = 1;

        /// <summary>The YOLOv3 loss these options describe, for a network with <paramref name="heads"/> and input side <paramref name="imageSize"/>.</summary>
        internal YoloLoss CreateLoss(IReadOnlyList<YoloHead> heads, int imageSize) =>
            new(heads, imageSize, BoxLoss, ObjectnessTarget, AnchorMatchThreshold, ClassLossWeight);

        internal override void Validate()
        {
            base.Validate();
            Require(!string.IsNullOrWhiteSpace(Architecture), nameof(Architecture), "must name an architecture or a cfg file");
            Require(ImageSize is null || ImageSize % 32 == 0, nameof(ImageSize), $"must be a multiple of 32 (YOLO's largest stride), got {ImageSize}");
            Require(AnchorMatchThreshold is null or (> 0 and < 1), nameof(AnchorMatchThreshold), $"must be in (0, 1), got {AnchorMatchThreshold}");
            Require(ClassLossWeight > 0 && float.IsFinite(ClassLossWeight), nameof(ClassLossWeight), $"must be positive, got {ClassLossWeight}");
            Require(InitialWeightsLayerCount is null or > 0, nameof(InitialWeightsLayerCount), $"must be positive, got {InitialWeightsLayerCount}");
            Require(InitialWeightsLayerCount is null || InitialWeightsPath is not null, nameof(InitialWeightsLayerCount), "needs InitialWeightsPath");
            if (InitialWeightsPath is not null && !File.Exists(InitialWeightsPath))
                throw new FileNotFoundException($"InitialWeightsPath '{InitialWeightsPath}' not found.", InitialWeightsPath);
            if (!YoloArchitectures.IsBuiltIn(Architecture) && !File.Exists(Architecture))
                throw new ArgumentOutOfRangeException(nameof(Architecture), $"Architecture '{Architecture}' is neither one of {string.Join(", ", YoloArchitectures.Names)} nor an existing Darknet cfg file.");
        }
    }

    private readonly DarknetConfig _architecture;

    internal YoloTrainer(IHostEnvironment env, Options options)
        : base(env, options, nameof(YoloTrainer))
    {
        _architecture = YoloArchitectures.Get(options.Architecture);
        if (_architecture.GetYoloLayers().Count == 0)
            throw new ArgumentOutOfRangeException(nameof(Options.Architecture), $"Architecture '{options.Architecture}' has no [yolo] layer: it is not a YOLO detector.");
    }

    private protected override int? ArchitectureImageSize =>
        YoloArchitectures.IsBuiltIn(TrainerOptions.Architecture) ? null : _architecture.Width;

    private protected override TrainableDetector CreateDetector(DetectionTrainingSetup setup)
    {
        var options = TrainerOptions;
        var config = _architecture.Clone();
        config.SetInputSize(setup.ImageSize, setup.ImageSize, 3);
        config.SetClassCount(setup.ClassNames.Count);
        int anchorCount = config.GetYoloLayers()[0].AllAnchors.Count;
        var anchors = ChooseAnchors(options.Anchors, config, anchorCount, setup);
        if (anchors is not null)
            config.SetAnchors(anchors);

        var network = new DarknetNetwork(config);
        try
        {
            if (options.InitialWeightsPath is { } weights)
            {
                var header = DarknetWeights.Load(network, weights, options.InitialWeightsLayerCount);
                setup.Channel.Info(MessageSensitivity.None, $"Initial weights from '{weights}' ({header}).");
            }
            else
            {
                InitializeHeadBiases(network);
            }
            network.to(setup.Device);
            var thresholds = new YoloThresholds(options.ConfidenceThreshold, options.IouThreshold, options.MaxDetections);
            return new YoloTrainableDetector(network, network.YoloLayers, setup.ImageSize, thresholds, options.CreateLoss(network.YoloLayers, setup.ImageSize));
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    private protected override DarknetYoloDetector CreateTransformer(TrainableDetector detector, DetectionTrainingSetup setup, DetectionColumns columns)
    {
        var yolo = (YoloTrainableDetector)detector;
        return new DarknetYoloDetector(Host, (DarknetNetwork)yolo.Network, yolo, TrainerOptions.ImageColumnName, columns,
            TrainerOptions.ScoringBatchSize, setup.Device, TrainerOptions.Device, TrainerOptions.CudaDeviceIndex);
    }

    /// <summary>The anchors for this run, or null to keep the cfg's.</summary>
    private static IReadOnlyList<(float Width, float Height)>? ChooseAnchors(YoloAnchorSource source, DarknetConfig config, int count, DetectionTrainingSetup setup)
    {
        switch (source)
        {
            case YoloAnchorSource.Config:
                return null;
            case YoloAnchorSource.Paper:
            {
                var paper = count == YoloArchitectures.YoloV3Anchors.Count ? YoloArchitectures.YoloV3Anchors
                    : count == YoloArchitectures.YoloV3TinyAnchors.Count ? YoloArchitectures.YoloV3TinyAnchors
                    : throw new ArgumentOutOfRangeException(nameof(Options.Anchors), $"The paper's anchors come in 9 (YOLOv3) or 6 (YOLOv3-tiny); the cfg '{config.Source}' has {count}. Use KMeans or Config.");
                float scale = (float)setup.ImageSize / YoloArchitectures.PaperInputSize;
                return paper.Select(a => (a.Width * scale, a.Height * scale)).ToArray();
            }
            default:
            {
                if (setup.BoxSizes.Select(s => s).Distinct().Count() < count)
                {
                    setup.Channel.Warning(MessageSensitivity.None, $"The training data has fewer than {count} different box sizes: keeping the cfg's anchors instead of k-means.");
                    return null;
                }
                var anchors = AnchorClustering.KMeans(setup.BoxSizes, count, setup.Seed);
                setup.Channel.Info(MessageSensitivity.None,
                    $"Anchors (k-means over {setup.BoxSizes.Count} boxes, mean best IoU {AnchorClustering.MeanBestIou(setup.BoxSizes, anchors):F3}): {string.Join("  ", anchors.Select(a => $"{a.Width:F0}x{a.Height:F0}"))}.");
                return anchors;
            }
        }
    }

    /// <summary>
    /// Starts the output convolutions' objectness and class biases at the priors of a trained detector, as Ultralytics'
    /// YOLOv5 does (objectness log(8 / (640 / stride)²): about 8 objects in a 640x640 image; classes log(0.6 / (C - 0.99))),
    /// so the first epochs are not spent learning that almost every cell is background.
    /// </summary>
    private static void InitializeHeadBiases(DarknetNetwork network)
    {
        using var noGrad = torch.no_grad();
        foreach (var head in network.YoloLayers)
        {
            if (network.Layers[head.LayerIndex - 1] is not DarknetConvolutionalLayer { Convolution.bias: { } bias })
                continue;
            var perAnchor = bias.view(head.AnchorCount, head.Classes + 5);
            perAnchor[.., 4].fill_(Math.Log(8.0 / (640.0 / head.StrideX * 640.0 / head.StrideY)));
            perAnchor[.., 5..].fill_(Math.Log(0.6 / Math.Max(head.Classes - 0.99, 0.01)));
        }
    }
}
