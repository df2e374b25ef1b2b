using System.Globalization;
using DeepExtensions.Cli.Output;
using DeepExtensions.Cli.Output.Charts;
using DeepExtensions.Cli.Pipelines;
using Microsoft.ML;
using Microsoft.ML.DeepExtensions.Training;
using Microsoft.ML.DeepExtensions.Vision;
using Microsoft.ML.DeepExtensions.Vision.Data.Detection;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;
using Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;
using Microsoft.ML.DeepExtensions.Vision.Detection.Training;
using Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;
using Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage.Training;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo.Training;
using Microsoft.ML.DeepExtensions.Vision.Evaluation;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// <c>deepext train --task object-detection</c>: trains a YOLO detector, a Faster R-CNN or a Mask R-CNN on COCO, YOLO or Pascal VOC
/// data (Mask R-CNN: data with outlines), saves it, evaluates the saved model on the test images with COCO's metrics (Mask R-CNN:
/// box and mask metrics) and writes the training curves next to it.
/// </summary>
public static class DetectionTrainCommand
{
    public const string Task = TaskNames.ObjectDetection;

    /// <summary>The <c>--arch</c> value that trains a Faster R-CNN instead of a YOLO network.</summary>
    public const string FasterRcnnArchitecture = "faster-rcnn";

    /// <summary>The <c>--arch</c> value that trains a Mask R-CNN (a Faster R-CNN with a mask branch; the data needs every object's outline).</summary>
    public const string MaskRcnnArchitecture = "mask-rcnn";

    /// <summary>The <c>--arch</c> value that trains an R-CNN (Girshick et al., 2014: selective search, a CNN over warped regions, per-class SVMs).</summary>
    public const string RegionCnnArchitecture = "rcnn";

    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("task", Task, "What to train.", Required: true),
        new("data", "DATA", "Training data: a COCO instances .json (images beside it or in images/), a YOLO data.yaml (or its folder), a Pascal VOC folder, or a COCO folder (annotations/instances_train.json).", Required: true),
        new("out", "FILE", "Where to save the model (.zip); MODEL.curves.png goes next to it.", Required: true),
        new("test", "DATA", "Test data for the final COCO metrics (default: the test or val split of --data when it has one, else the training data)."),
        new("validation", "DATA", "Validation data, scored after every epoch (COCO AP and AP50); early stopping keeps the best AP's weights (default: none)."),
        new("arch", "NAME|FILE.cfg", $"yolov3-tiny, yolov3-tiny-3l or yolov3 (each optionally :width=W, a filter multiplier), a Darknet cfg file, {FasterRcnnArchitecture}, {MaskRcnnArchitecture} or {RegionCnnArchitecture} (default: {new YoloTrainer.Options().Architecture})."),
        new("backbone", "NAME|FILE.onnx", $"Faster/Mask R-CNN: resnet18, resnet34, resnet50, resnet101, resnet152, vgg16 or vgg16-bn from random weights, or a pretrained ONNX network (e.g. the ResNet18 package's ResNet18.onnx) fine-tuned from its weights (default: resnet18); R-CNN: the CNN over warped regions, {string.Join(", ", ImageArchitectures.Names)} (default: small-cnn)."),
        new("backbone-maps", "NAME[,NAME...]", "With --backbone FILE.onnx: the nodes (or values) whose outputs are the feature maps, finest first: the last convolution stage's (e.g. ReLU393 of ResNet18.onnx), or with --fpn one per pyramid level (ReLU283,ReLU315,ReLU347,ReLU393) (default: the graph's only output)."),
        new("fpn", null, "Faster/Mask R-CNN: a feature pyramid over layer1-4, one anchor size per level, 32 to 512 (the default, except over an ONNX --backbone, whose maps --backbone-maps names)."),
        new("no-fpn", null, "Faster/Mask R-CNN: the last stage's map alone (stride 32), with the paper's nine anchors scaled to the image size."),
        new("weights", "FILE", "YOLO: Darknet weights to start from (fine-tuning, e.g. a backbone); R-CNN: an image classifier's model.zip (or .pt/.safetensors) for its CNN; default: random weights."),
        new("proposals", "fast|quality", "R-CNN: selective search's strategies (default: fast, the paper's)."),
        new("max-proposals", "N", $"R-CNN: proposals per image, the first of selective search's ranking (default: {new RegionCnnTrainer.Options().MaxProposals})."),
        new("warp-size", "N", $"R-CNN: the side regions are warped to for the CNN (default: {new RegionCnnTrainer.Options().WarpSize})."),
        new("image-size", "N", "Side of the square network input, a multiple of 32 (default: a cfg file's, else the median image side rounded up to 32)."),
        new("anchors", "auto|cfg|paper", "YOLO: auto: k-means over the training boxes; cfg: the cfg's; paper: YOLOv3's, scaled (default: auto)."),
        new("box-loss", "mse|giou|ciou", "YOLO's box regression: YOLOv3's squared error, or an IoU loss (default: mse)."),
        new("no-augment", null, "Train on the images as they are (default: flips, zoom and shift, HSV jitter, mosaic; Mask R-CNN's masks move with their objects)."),
        new("force", null, "Overwrite --out and the chart if they exist."),
    }.Concat(TrainingArguments.Options(new("-", "cosine", $"{new YoloTrainer.Options().Epochs} for YOLO, {new FasterRcnnTrainer.Options().Epochs} for Faster/Mask R-CNN", "16",
        TimeLimit: $"{YoloTimeLimit.TotalMinutes} for YOLO, so that a default run fits in 15 minutes on a slower 2-core CPU as on a faster one; none otherwise")).Where(o => o.Name != "loss")).ToArray();

    /// <summary>
    /// The YOLO default of <c>--time-limit</c>: the default network's 24 epochs on 2,000 images of 160x160 take 12 to 16 minutes
    /// on 2-core CPUs of different speeds, so a budget, not the epoch count, keeps a default run within 15 minutes.
    /// </summary>
    private static TimeSpan YoloTimeLimit => TimeSpan.FromMinutes(14);

    public const string Summary =
        "Trains a YOLO object detector (or, with --arch faster-rcnn, a Faster R-CNN; with --arch mask-rcnn, a Mask R-CNN on data\n" +
        "with outlines; with --arch rcnn, an R-CNN: selective search, a CNN fine-tuned on warped regions, per-class SVMs and box\n" +
        "regression) on labelled images and saves it to --out. Each epoch prints the loss parts (YOLO: box, objectness, class;\n" +
        "Faster R-CNN: rpn-objectness, rpn-box, classifier, box; Mask R-CNN: those and mask) and, with --validation, the validation\n" +
        "AP50 and AP (Mask R-CNN: also MaskAP50 and MaskAP); MODEL.curves.png is written next to the model. The last stdout line is the test set's COCO metrics as JSON\n" +
        "(the keys of 'evaluate --task detection'; for Mask R-CNN also the mask metrics, the same keys prefixed Mask).";

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        if (Arguments.ParseOrShowHelp("train", args, Options, Summary, context.Out) is not { } arguments)
            return ExitCodes.Success;
        if (arguments.Require("task") != Task)
            throw CliException.UsageError($"--task '{arguments.Require("task")}' is not valid here: expected {Task}");

        string architecture = arguments.Get("arch")?.Trim() ?? new YoloTrainer.Options().Architecture;
        if (string.Equals(architecture, RegionCnnArchitecture, StringComparison.OrdinalIgnoreCase))
            return TrainRegionCnn(arguments, context);
        foreach (var option in RegionCnnOnly)
        {
            if (arguments.Get(option) is not null)
                throw CliException.UsageError($"--{option} applies to --arch {RegionCnnArchitecture} only");
        }
        if (string.Equals(architecture, FasterRcnnArchitecture, StringComparison.OrdinalIgnoreCase))
            return TrainFasterRcnn(arguments, context);
        if (string.Equals(architecture, MaskRcnnArchitecture, StringComparison.OrdinalIgnoreCase))
            return TrainMaskRcnn(arguments, context);
        return TrainYolo(arguments, context, architecture);
    }

    private static int TrainYolo(Arguments arguments, CliContext context, string architecture)
    {
        if (arguments.Get("backbone") is not null || arguments.Get("backbone-maps") is not null || arguments.Has("fpn") || arguments.Has("no-fpn"))
            throw CliException.UsageError($"--{(arguments.Has("fpn") ? "fpn" : arguments.Has("no-fpn") ? "no-fpn" : arguments.Get("backbone-maps") is not null ? "backbone-maps" : "backbone")} applies to --arch {FasterRcnnArchitecture} or {MaskRcnnArchitecture} only");
        var options = new YoloTrainer.Options { TimeLimit = YoloTimeLimit };
        TrainingArguments.Apply(arguments, options);
        options.Architecture = architecture;
        if (arguments.Get("weights") is { } weights)
        {
            if (!File.Exists(weights))
                throw CliException.DataError($"--weights '{weights}' does not exist");
            options.InitialWeightsPath = weights;
        }
        if (arguments.Get("image-size") is { } size)
        {
            int side = TrainingArguments.ParseInt(size, "--image-size", minimum: 1);
            if (side % 32 != 0)
                throw CliException.UsageError($"--image-size '{size}' is not valid: expected a multiple of 32 (YOLO's largest stride)");
            options.ImageSize = side;
        }
        options.Anchors = arguments.Get("anchors")?.ToLowerInvariant() switch
        {
            null or "auto" or "kmeans" => YoloAnchorSource.KMeans,
            "cfg" => YoloAnchorSource.Config,
            "paper" => YoloAnchorSource.Paper,
            var other => throw CliException.UsageError($"--anchors '{other}' is not valid: expected auto, cfg or paper"),
        };
        options.BoxLoss = arguments.Get("box-loss")?.ToLowerInvariant() switch
        {
            null or "mse" => YoloBoxLoss.SquaredError,
            "giou" => YoloBoxLoss.GIoU,
            "ciou" => YoloBoxLoss.CIoU,
            var other => throw CliException.UsageError($"--box-loss '{other}' is not valid: expected mse, giou or ciou"),
        };
        return TrainAndEvaluate(arguments, context, options, ml => ml.ObjectDetection().Trainers.Yolo(options), options.Architecture, detector => detector.ImageSize);
    }

    private static int TrainFasterRcnn(Arguments arguments, CliContext context)
    {
        var options = new FasterRcnnTrainer.Options();
        string description = ApplyRcnnArguments(arguments, options, FasterRcnnArchitecture);
        return TrainAndEvaluate(arguments, context, options, ml => ml.ObjectDetection().Trainers.FasterRcnn(options), description, detector => detector.ImageSize);
    }

    private static int TrainMaskRcnn(Arguments arguments, CliContext context)
    {
        var options = new MaskRcnnTrainer.Options();
        string description = ApplyRcnnArguments(arguments, options, MaskRcnnArchitecture);
        return TrainAndEvaluate(arguments, context, options, ml => ml.ObjectDetection().Trainers.MaskRcnn(options), description, detector => detector.ImageSize, masks: true);
    }

    /// <summary>The options only R-CNN takes.</summary>
    private static readonly string[] RegionCnnOnly = { "proposals", "max-proposals", "warp-size" };

    private static int TrainRegionCnn(Arguments arguments, CliContext context)
    {
        foreach (var option in new[] { "anchors", "box-loss", "fpn", "no-fpn", "backbone-maps", "validation" })
        {
            if (arguments.Has(option))
                throw CliException.UsageError($"--{option} does not apply to --arch {RegionCnnArchitecture}");
        }
        var options = new RegionCnnTrainer.Options();
        TrainingArguments.Apply(arguments, options);
        string backbone = arguments.Get("backbone")?.Trim().ToLowerInvariant() ?? options.Backbone.Name;
        options.Backbone = TrainingArguments.FromRegistry("--backbone", () => ImageArchitectures.Get(backbone));
        if (arguments.Get("weights") is { } weights)
        {
            if (!File.Exists(weights))
                throw CliException.DataError($"--weights '{weights}' does not exist");
            options.InitialWeights = weights;
        }
        options.ProposalMode = arguments.Get("proposals")?.ToLowerInvariant() switch
        {
            null or "fast" => SelectiveSearchMode.Fast,
            "quality" => SelectiveSearchMode.Quality,
            var other => throw CliException.UsageError($"--proposals '{other}' is not valid: expected fast or quality"),
        };
        if (arguments.Get("max-proposals") is { } max)
            options.MaxProposals = TrainingArguments.ParseInt(max, "--max-proposals", minimum: 1);
        if (arguments.Get("warp-size") is { } warp)
            options.WarpSize = TrainingArguments.ParseInt(warp, "--warp-size", minimum: 4);
        if (arguments.Get("image-size") is { } size)
            options.ImageSize = TrainingArguments.ParseInt(size, "--image-size", minimum: 1);
        string description = $"{RegionCnnArchitecture} {options.Backbone.Name} {options.WarpSize}x{options.WarpSize} regions, {options.ProposalMode.ToString().ToLowerInvariant()} proposals";
        return TrainAndEvaluate(arguments, context, options, ml => ml.ObjectDetection().Trainers.Rcnn(options), description, detector => detector.ImageSize,
            history: trainer => ((RegionCnnTrainer)trainer).TrainingHistory, stageLogSource: nameof(RegionCnnTrainer));
    }

    /// <summary>The options both R-CNNs take (backbone, pyramid, input size, the shared training options); returns the run's description.</summary>
    private static string ApplyRcnnArguments(Arguments arguments, RcnnTrainerOptions options, string architecture)
    {
        foreach (var option in new[] { "weights", "anchors", "box-loss" })
        {
            if (arguments.Get(option) is not null)
                throw CliException.UsageError($"--{option} applies to YOLO only, not to --arch {architecture}");
        }
        TrainingArguments.Apply(arguments, options);
        if (arguments.Has("fpn") && arguments.Has("no-fpn"))
            throw CliException.UsageError("--fpn and --no-fpn contradict each other: give one (the pyramid is the default)");
        string backbone = arguments.Get("backbone")?.Trim() ?? "resnet18";
        bool onnxBackbone = backbone.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);
        // The trainer's own default is the pyramid: at a few hundred pixels the single stride-32 map has too few cells, and
        // anchors too coarse, for small objects. Over an ONNX backbone the pyramid needs its stage maps named, so it is asked for.
        options.Fpn = onnxBackbone ? arguments.Has("fpn") : !arguments.Has("no-fpn");
        if (onnxBackbone)
        {
            if (!File.Exists(backbone))
                throw CliException.DataError($"--backbone '{backbone}' not found");
            options.OnnxBackbone = backbone;
            options.OnnxBackboneFeatureMaps = arguments.Get("backbone-maps")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (options.Fpn && options.OnnxBackboneFeatureMaps is null)
                throw CliException.UsageError($"--fpn over --backbone '{backbone}' needs --backbone-maps: the nodes whose outputs the pyramid is built on, finest first (e.g. each stage's last ReLU)");
            if (!options.Fpn && options.OnnxBackboneFeatureMaps is { Length: > 1 })
                throw CliException.UsageError($"--backbone-maps names {options.OnnxBackboneFeatureMaps.Length} maps: without --fpn the detector reads one (the last convolution stage's output)");
        }
        else if (arguments.Get("backbone-maps") is not null)
            throw CliException.UsageError("--backbone-maps applies to --backbone FILE.onnx");
        if (options.OnnxBackbone is null)
        {
            (options.Backbone, options.BackboneDepth) = backbone.ToLowerInvariant() switch
            {
                "resnet18" => (RcnnBackboneNetwork.ResNet, 18),
                "resnet34" => (RcnnBackboneNetwork.ResNet, 34),
                "resnet50" => (RcnnBackboneNetwork.ResNet, 50),
                "resnet101" => (RcnnBackboneNetwork.ResNet, 101),
                "resnet152" => (RcnnBackboneNetwork.ResNet, 152),
                "vgg16" => (RcnnBackboneNetwork.Vgg16, options.BackboneDepth),
                "vgg16-bn" => (RcnnBackboneNetwork.Vgg16BatchNorm, options.BackboneDepth),
                _ => throw CliException.UsageError($"--backbone '{backbone}' is not valid: expected resnet18, resnet34, resnet50, resnet101, resnet152, vgg16, vgg16-bn or an ONNX file (FILE.onnx)"),
            };
        }
        if (arguments.Get("image-size") is { } size)
        {
            int side = TrainingArguments.ParseInt(size, "--image-size", minimum: 1);
            if (side % 32 != 0)
                throw CliException.UsageError($"--image-size '{size}' is not valid: expected a multiple of 32 (the backbone's stride)");
            options.ImageSize = side;
        }
        return $"{architecture} {(options.OnnxBackbone is null ? backbone.ToLowerInvariant() : $"ONNX backbone '{backbone}'{(options.OnnxBackboneFeatureMaps is { } maps ? $" ({string.Join(", ", maps)})" : "")}")}{(options.Fpn ? " fpn" : "")}";
    }

    /// <summary>
    /// What every detector goes through once its options are set: data, training, model.zip, curves, COCO metrics of the saved
    /// model (with <paramref name="masks"/>, a detector that predicts masks: the data must have every object's outline, and the
    /// mask metrics are added).
    /// </summary>
    /// <param name="history">The trainer's epochs, for the curves chart; null for a <see cref="DetectionTrainer{TOptions, TTransformer}"/>'s.</param>
    /// <param name="stageLogSource">For a trainer whose stages are not epochs (R-CNN): its MLContext log component, whose information and warnings are shown as notes.</param>
    private static int TrainAndEvaluate<TOptions, TDetector>(Arguments arguments, CliContext context, TOptions options,
        Func<MLContext, IEstimator<TDetector>> createTrainer, string architecture, Func<TDetector, int> imageSize, bool masks = false,
        Func<IEstimator<TDetector>, IReadOnlyList<TrainingProgress>>? history = null, string? stageLogSource = null)
        where TOptions : DetectionTrainerOptions
        where TDetector : ObjectDetectionTransformer, IDisposable
    {
        string outPath = arguments.Require("out");
        bool force = arguments.Has("force");
        string curves = ImageTrainCommand.ChartPaths(outPath).Curves;
        OutputFile.CheckWritable(outPath, "--out", force);
        OutputFile.CheckWritable(curves, "--out (curves chart)", force);

        string dataPath = arguments.Require("data");
        var train = DetectionDataSet.Open(dataPath, "--data");
        DetectionDataset? test;
        string testDescription;
        if (arguments.Get("test") is { } testPath)
        {
            test = DetectionDataSet.Open(testPath, "--test", "test");
            DetectionDataSet.RequireSameClasses(train, test, "--test", testPath);
            testDescription = $"the test data '{testPath}'";
        }
        else
        {
            test = DetectionDataSet.HeldOut(dataPath, "--data");
            testDescription = test is null ? "the training data (pass --test DATA for held-out metrics)" : $"the held-out split of '{dataPath}'";
        }
        if (arguments.Get("validation") is { } validationPath)
        {
            var validation = DetectionDataSet.Open(validationPath, "--validation", "val");
            DetectionDataSet.RequireSameClasses(train, validation, "--validation", validationPath);
            options.ValidationData = validation.ToDataView();
        }
        if (train.ObjectCount == 0)
            throw CliException.DataError($"--data '{dataPath}' has no labelled object: a detector needs some");
        if (masks)
        {
            RequireOutlines(train, "--data", dataPath);
            if (test is not null)
                RequireOutlines(test, "--test", arguments.Get("test") ?? dataPath);
        }

        // Every detector trainer takes --no-augment here, in one place (Mask R-CNN once missed it when each trainer read it).
        // The notes come after the data checks, so that bad data stays a one-line error.
        if (arguments.Has("no-augment"))
        {
            options.Augmentation = DetectionAugmentationOptions.None;
            context.Note("augmentation: none (--no-augment)");
        }
        if (options.TimeLimit is { } limit)
            context.Note($"time limit: {limit.TotalMinutes:0.##} minutes of training (--time-limit)");

        var mlContext = new MLContext(options.Seed);
        if (stageLogSource is not null)
        {
            mlContext.Log += (_, e) =>
            {
                if (e.Source.StartsWith(stageLogSource, StringComparison.Ordinal) && e.Kind is Microsoft.ML.Runtime.ChannelMessageKind.Info or Microsoft.ML.Runtime.ChannelMessageKind.Warning
                    && !e.RawMessage.StartsWith("epoch ", StringComparison.Ordinal))
                    context.Note(e.RawMessage);
            };
        }
        var reporter = new ProgressReporter(context.Error, context.LiveProgress, unit: "images");
        options.Progress = reporter;
        options.BatchProgress = reporter;
        options.CancellationToken = context.CancellationToken;
        IEstimator<TDetector> trainer;
        try
        {
            trainer = createTrainer(mlContext);
        }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException or Microsoft.ML.DeepExtensions.Vision.Detection.Darknet.DarknetFormatException)
        {
            throw CliException.UsageError(Messages.OneLine(e));
        }
        context.Note(string.Create(CultureInfo.InvariantCulture,
            $"training {architecture} on {train} from '{dataPath}' for {options.Epochs} epochs, batches of {options.BatchSize}"));

        TDetector detector;
        var trainView = train.ToDataView();
        try
        {
            detector = reporter.Run(options.Epochs, () => trainer.Fit(trainView));
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception e) when (e is not CliException)
        {
            throw CliException.DataError($"training failed: {Messages.OneLine(e)}");
        }
        context.Note(reporter.Summary());

        var info = new ModelInfo(Microsoft.ML.DeepExtensions.PredictionTask.MulticlassClassification, DetectionDataView.LabelColumnName, train.ClassNames)
        {
            Detection = new DetectionModelInput(architecture, imageSize(detector), detector.ImageColumnName),
        };
        using (detector)
            ModelFile.Save(mlContext, detector, trainView.Schema, info, outPath, force);
        context.Note($"saved the model to {outPath}");
        var epochs = history is null ? ((DetectionTrainer<TOptions, TDetector>)trainer).TrainingHistory : history(trainer);
        TrainingCurvesChart.Write(epochs, curves, overwrite: force);
        context.Note($"wrote {curves}");

        // Score with the saved model, read back, exactly as 'deepext evaluate' does.
        var evaluationContext = new MLContext(options.Seed);
        var saved = ModelFile.Load(evaluationContext, outPath);
        try
        {
            var metrics = ModelEvaluation.EvaluateDetection(evaluationContext, saved, test ?? train);
            context.Note($"COCO metrics on {testDescription}:");
            context.Note(DetectionMetricsJson.Summary(metrics));
            DetectionMetrics? maskMetrics = null;
            if (masks)
            {
                maskMetrics = ModelEvaluation.EvaluateDetectionMasks(evaluationContext, saved, test ?? train, test is null ? "--data" : "--test");
                context.Note($"COCO mask (segmentation) metrics on {testDescription}:");
                context.Note(DetectionMetricsJson.Summary(maskMetrics));
            }
            context.Out.WriteLine(DetectionMetricsJson.Format(metrics, maskMetrics));
        }
        finally
        {
            (saved.Model as IDisposable)?.Dispose();
        }
        return ExitCodes.Success;
    }

    /// <summary>A detector that learns masks needs every object's outline; names the first object without one.</summary>
    private static void RequireOutlines(DetectionDataset data, string option, string path)
    {
        foreach (var image in data.Images)
        {
            for (int k = 0; k < image.Objects.Count; k++)
            {
                if (image.Objects[k].Segmentation is null)
                    throw CliException.DataError($"{option} '{path}': object {k} of image '{image.Path}' has no outline; --arch {MaskRcnnArchitecture} needs every object's mask (COCO annotations with 'segmentation', or YOLO segment lines)");
            }
        }
    }
}
