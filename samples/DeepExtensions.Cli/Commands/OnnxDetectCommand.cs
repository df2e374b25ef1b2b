using System.Globalization;
using System.Text;
using DeepExtensions.Cli.Pipelines;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection.Rcnn;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;
using Microsoft.ML.DeepExtensions.Vision.Drawing;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// <c>deepext detect --model FILE.onnx --kind KIND --image FILE|DIR --out DIR</c>: detects objects with an ONNX
/// detector (YOLOv3 zoo, YOLOv5, YOLOv8+, YOLOv8+ segmentation, end-to-end YOLOv10+, torchvision Faster/Mask R-CNN),
/// a detector trained by <c>deepext train --task object-detection</c> (<c>--model model.zip</c>) or a Darknet model
/// (<c>--cfg --weights</c>), writes each image annotated
/// (<c>DIR/NAME.png</c>) and all detections as <c>DIR/detections.json</c> (an array of per-image documents).
/// An image that cannot be decoded is reported and skipped; the others are still written (exit code 1 then).
/// </summary>
public static class OnnxDetectCommand
{
    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("model", "FILE", "The detector: an ONNX file (with --kind), or a model.zip of 'deepext train --task object-detection'."),
        new("kind", "KIND", "For ONNX files: yolov3 (model zoo), yolov5 (also 'deepext export' of a YOLO model.zip), yolov8 (also v9/v11), yolov8-seg (segmentation), yolov10 (end-to-end, no NMS; also 'deepext export --nms'), faster-rcnn or mask-rcnn."),
        new("cfg", "FILE.cfg", "A Darknet YOLO cfg, run with --weights (instead of --model)."),
        new("weights", "FILE.weights", "The Darknet weights of --cfg."),
        new("image", "FILE|DIR", "An image, or a folder of images (.jpg, .jpeg, .png, .bmp, .webp).", Required: true),
        new("out", "DIR", "Folder for the annotated images and detections.json (created if missing).", Required: true),
        new("classes", "FILE", "Class names, one per line (R-CNN: line 1 = background); default: the model's metadata (Darknet: required)."),
        new("confidence", "P", "Minimum score kept (default: 0.25 for YOLO and Darknet, 0.5 for R-CNN, the model's own for model.zip)."),
        new("iou", "P", "NMS IoU threshold for YOLOv5/v8/v8-seg and Darknet (default: 0.45)."),
        new("max-detections", "N", "At most N detections per image, the best (default: 300 for YOLO, 100 for R-CNN and Darknet, the model's own for model.zip)."),
        new("device", "DEVICE", "auto, cpu or cuda (default: auto)."),
        new("force", null, "Overwrite existing output files."),
    };

    public const string Summary =
        "Detects objects in images with an ONNX detector and writes annotated images and detections.json to --out.\n" +
        "For a Haar cascade (OpenCV XML) use --cascade FILE.xml instead of --model (see 'deepext detect --cascade x --help').";


    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        if (Arguments.ParseOrShowHelp("detect", args, Options, Summary, context.Out) is not { } arguments)
            return ExitCodes.Success;
        string? cfgPath = arguments.Get("cfg");
        string modelPath = cfgPath is null ? arguments.Get("model") ?? throw CliException.UsageError("detect: --model FILE or --cfg FILE.cfg --weights FILE.weights is required")
            : arguments.Get("model") is null ? cfgPath : throw CliException.UsageError("detect: give --model or --cfg, not both");
        if (!File.Exists(modelPath))
            throw CliException.DataError($"{(cfgPath is null ? "--model" : "--cfg")} '{modelPath}' does not exist");
        string kind = cfgPath is not null ? "darknet"
            : modelPath.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) ? "model.zip"
            : arguments.Get("kind")?.ToLowerInvariant() ?? throw CliException.UsageError("detect: --kind is required for an ONNX --model (yolov3, yolov5, yolov8, faster-rcnn or mask-rcnn)");
        string? weightsPath = arguments.Get("weights");
        if (cfgPath is not null && weightsPath is null)
            throw CliException.UsageError("detect: --cfg needs --weights FILE.weights");
        if (cfgPath is null && weightsPath is not null)
            throw CliException.UsageError("detect: --weights goes with --cfg FILE.cfg");
        if (weightsPath is not null && !File.Exists(weightsPath))
            throw CliException.DataError($"--weights '{weightsPath}' does not exist");
        var images = ImageFiles.Find(arguments.Require("image"), "--image").ToList();
        string outDir = arguments.Require("out");
        bool force = arguments.Has("force");
        float? confidence = Probability(arguments, "confidence");
        float? iou = Probability(arguments, "iou");
        int? maxDetections = PositiveInt(arguments, "max-detections");
        var device = DeviceArgument.Parse(arguments, "detect");
        string? classes = arguments.Get("classes");
        if (classes is not null && !File.Exists(classes))
            throw CliException.DataError($"--classes '{classes}' does not exist");

        // Refuse before any work when an output exists and --force is not given.
        string jsonPath = Path.Combine(outDir, "detections.json");
        var annotatedPaths = images.Select(p => Path.Combine(outDir, Path.GetFileNameWithoutExtension(p) + ".png")).ToArray();
        if (annotatedPaths.Distinct(StringComparer.Ordinal).Count() != annotatedPaths.Length)
            throw CliException.UsageError("detect: two images have the same name without extension; their annotated copies would collide");
        if (!force)
        {
            foreach (var path in annotatedPaths.Append(jsonPath).Where(File.Exists))
                throw CliException.UsageError($"detect: '{path}' already exists (pass --force to overwrite it)");
        }

        var ml = new MLContext(seed: 1);
        var detector = kind switch
        {
            "model.zip" => OpenTrained(ml, modelPath, thresholdsGiven: confidence is not null || iou is not null || maxDetections is not null),
            "darknet" => OpenDarknet(ml, modelPath, weightsPath!, classes, confidence, iou, maxDetections, device),
            _ => Open(ml, kind, modelPath, classes, confidence, iou, maxDetections, device),
        };
        using var release = (IDisposable)detector; // ONNX sessions and TorchSharp networks
        Output.OutputFile.CreateFolder(outDir, "--out");
        context.Note($"{Path.GetFileName(modelPath)}: {kind} on {Device(detector)}, {detector.ClassNames.Count} classes, {images.Count} image(s)");

        var results = new List<ImageDetectionResult>();
        int failed = 0;
        for (int i = 0; i < images.Count; i++)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            if (ImageFiles.TryRead(images[i], context) is not { } image)
            {
                failed++;
                continue;
            }
            using (image)
            {
                var detections = detector.Detect(image);
                using var annotated = DetectionDrawing.Draw(image, detections, detector.ClassNames);
                DetectionDrawing.Save(annotated, annotatedPaths[i], overwrite: force);
                results.Add(new ImageDetectionResult(images[i], image.Width, image.Height, detector.ClassNames, detections));
                context.Out.WriteLine($"{images[i]}: {Describe(detections, detector.ClassNames)}");
            }
        }
        WriteJson(jsonPath, results, force);
        context.Note($"wrote {results.Count} annotated image(s) and {jsonPath}");
        return failed == 0 ? ExitCodes.Success : ExitCodes.Data;
    }

    private static ObjectDetectionTransformer Open(MLContext ml, string kind, string modelPath, string? classes, float? confidence, float? iou, int? maxDetections, ComputeDevice device)
    {
        switch (kind)
        {
            case "yolov3" or "yolov5" or "yolov8" or "yolov8-seg" or "yolov10":
                if (kind == "yolov10" && iou is not null)
                    throw CliException.UsageError("detect: --iou does not apply to yolov10 (end-to-end models need no NMS)");
                var yolo = new YoloObjectDetector.Options
                {
                    ModelPath = modelPath,
                    Version = kind switch
                    {
                        "yolov3" => YoloVersion.V3,
                        "yolov5" => YoloVersion.V5,
                        "yolov8-seg" => YoloVersion.V8Segmentation,
                        "yolov10" => YoloVersion.EndToEnd,
                        _ => YoloVersion.V8,
                    },
                    ClassNamesFile = classes,
                    Device = device,
                };
                if (confidence is { } c)
                    yolo.ConfidenceThreshold = c;
                if (iou is { } u)
                    yolo.IouThreshold = u;
                if (maxDetections is { } m)
                    yolo.MaxDetections = m;
                return Wrap(() => YoloObjectDetector.Create(ml, yolo));
            case "faster-rcnn" or "mask-rcnn":
                if (iou is not null)
                    throw CliException.UsageError("detect: --iou applies to YOLOv5/v8 only (torchvision R-CNN models run their own NMS)");
                var rcnn = new RcnnObjectDetector.Options
                {
                    ModelPath = modelPath,
                    Variant = kind == "mask-rcnn" ? RcnnVariant.MaskRcnn : RcnnVariant.FasterRcnn,
                    ClassNamesFile = classes,
                    Device = device,
                };
                if (confidence is { } r)
                    rcnn.ConfidenceThreshold = r;
                if (maxDetections is { } rm)
                    rcnn.MaxDetections = rm;
                return Wrap(() => RcnnObjectDetector.Create(ml, rcnn));
            default:
                throw CliException.UsageError($"detect: --kind must be yolov3, yolov5, yolov8, yolov8-seg, yolov10, faster-rcnn or mask-rcnn, got '{kind}'");
        }
    }

    /// <summary>A detector saved by <c>deepext train --task object-detection</c>.</summary>
    private static ObjectDetectionTransformer OpenTrained(MLContext ml, string modelPath, bool thresholdsGiven)
    {
        if (thresholdsGiven)
            throw CliException.UsageError("detect: --confidence, --iou and --max-detections are stored in a trained model.zip; they cannot be changed here");
        var loaded = ModelFile.Load(ml, modelPath);
        if (loaded.Info.Detection is null)
            throw CliException.DataError($"--model '{modelPath}' is a {loaded.Info.TaskName} model, not an object detector");
        var chain = loaded.Model as TransformerChain<ITransformer>;
        return (chain?.LastTransformer ?? loaded.Model) as ObjectDetectionTransformer
            ?? throw CliException.DataError($"--model '{modelPath}' does not end with a detector");
    }

    /// <summary>A Darknet cfg and weights pair.</summary>
    private static ObjectDetectionTransformer OpenDarknet(MLContext ml, string cfgPath, string weightsPath, string? classes, float? confidence, float? iou, int? maxDetections, ComputeDevice device)
    {
        if (classes is null)
            throw CliException.UsageError("detect: --cfg needs --classes FILE (class names, one per line, as Darknet's .names files)");
        var names = File.ReadAllLines(classes).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        var options = new DarknetDetectorOptions { Device = device };
        if (confidence is { } c)
            options.ConfidenceThreshold = c;
        if (iou is { } u)
            options.IouThreshold = u;
        if (maxDetections is { } m)
            options.MaxDetections = m;
        return Wrap(() => DarknetYoloDetector.FromDarknet(ml, cfgPath, weightsPath, names, options));
    }

    /// <summary>The model's own problems (wrong layout, no class names, corrupt file) are data errors with their message.</summary>
    private static ObjectDetectionTransformer Wrap(Func<ObjectDetectionTransformer> open)
    {
        try
        {
            return open();
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException or FileNotFoundException or ArgumentException or Microsoft.ML.DeepExtensions.Vision.Detection.Darknet.DarknetFormatException)
        {
            // The library names its options (ClassNames, ClassNamesFile); here the option is --classes.
            string message = Messages.OneLine(e).Replace("give them with ClassNames or ClassNamesFile", "give them with --classes FILE", StringComparison.Ordinal);
            throw CliException.DataError(message);
        }
    }

    private static string Device(ObjectDetectionTransformer detector) => detector switch
    {
        YoloObjectDetector yolo => yolo.Device,
        RcnnObjectDetector rcnn => rcnn.Device,
        DarknetYoloDetector darknet => darknet.Device,
        _ => "?",
    };

    private static float? Probability(Arguments arguments, string name)
    {
        if (arguments.Get(name) is not { } text)
            return null;
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) || !(value >= 0 && value <= 1))
            throw CliException.UsageError($"detect: --{name} must be a number in [0, 1], got '{text}'");
        return value;
    }

    private static int? PositiveInt(Arguments arguments, string name)
    {
        if (arguments.Get(name) is not { } text)
            return null;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < 1)
            throw CliException.UsageError($"detect: --{name} must be a whole number of at least 1, got '{text}'");
        return value;
    }

    private static string Describe(ObjectDetections detections, IReadOnlyList<string> names)
    {
        if (detections.Count == 0)
            return "no detections";
        var text = new StringBuilder($"{detections.Count} detection(s):");
        for (int i = 0; i < detections.Count; i++)
        {
            var d = detections[i];
            text.Append(CultureInfo.InvariantCulture, $" {names[d.ClassIndex]} {d.Score:0.00} [{d.X0:0},{d.Y0:0},{d.X1:0},{d.Y1:0}]");
            if (i < detections.Count - 1)
                text.Append(';');
        }
        return text.ToString();
    }

    private static void WriteJson(string path, IReadOnlyList<ImageDetectionResult> results, bool force)
    {
        Output.OutputFile.Write(path, "--out", force, temp =>
        {
            using var file = File.Create(temp);
            file.Write("[\n"u8);
            for (int i = 0; i < results.Count; i++)
            {
                DetectionJson.Write(file, results[i]);
                file.Write(i < results.Count - 1 ? ",\n"u8 : "\n"u8);
            }
            file.Write("]\n"u8);
        });
    }
}
