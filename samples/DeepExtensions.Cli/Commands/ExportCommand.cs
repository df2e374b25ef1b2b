using System.IO.Compression;
using DeepExtensions.Cli.Output;
using DeepExtensions.Cli.Pipelines;
using Microsoft.ML;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Scoring;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;
using Microsoft.ML.DeepExtensions.Vision.Onnx;
using Microsoft.ML.DeepExtensions.Vision.Onnx.Export;
using Microsoft.ML.DeepExtensions.Vision.Weights;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// <c>deepext export --model model.zip --out FILE</c>: writes a saved model's network in the format of FILE's extension.
/// Each format is one entry of <see cref="Exporters"/> (networks) or <see cref="YoloExporters"/> (YOLO detectors).
/// </summary>
public static class ExportCommand
{
    /// <summary>Writes the network of a loaded model to a file.</summary>
    public delegate void Exporter(NetworkPredictionTransformer network, string path);

    /// <summary>The formats by extension: adding one is one line here.</summary>
    public static readonly IReadOnlyDictionary<string, (Exporter Write, string Description)> Exporters =
        new Dictionary<string, (Exporter, string)>(StringComparer.OrdinalIgnoreCase)
        {
            [".pt"] = (ImageNetworkWeights.Save, "PyTorch state dictionary (torch.load, torchvision's tensor names)"),
            [".pth"] = (ImageNetworkWeights.Save, "PyTorch state dictionary, as .pt"),
            [".safetensors"] = (ImageNetworkWeights.Save, "safetensors (torchvision's tensor names)"),
            [".onnx"] = (OnnxExport.Save, "ONNX opset 13: input [N, C, H, W] pixels in [0, 1] (the model's normalization inside the graph), output Score"),
        };

    /// <summary>Writes a YOLO detector (a model.zip of <c>deepext train --task object-detection</c>) to a file, with NMS in the graph when asked.</summary>
    public delegate void YoloExporter(DarknetYoloDetector detector, string path, bool nms);

    /// <summary>The formats a YOLO detector exports to, by extension.</summary>
    public static readonly IReadOnlyDictionary<string, (YoloExporter Write, string Description)> YoloExporters =
        new Dictionary<string, (YoloExporter, string)>(StringComparer.OrdinalIgnoreCase)
        {
            [".onnx"] = ((detector, path, nms) => OnnxExport.Save(detector, path, nms ? YoloVersion.EndToEnd : YoloVersion.V5),
                "ONNX opset 13: input images [N, 3, S, S] (letterboxed RGB in [0, 1]); output output0 [N, candidates, 5 + classes], YOLOv5's layout "
                + "(run it with 'deepext detect --kind yolov5'), or with --nms [N, max detections, 6] after NMS (--kind yolov10)"),
            [DarknetExtension] = ((detector, path, nms) => WriteDarknet(detector, path),
                "Darknet cfg, with the .weights and the class names (.names, one per line) beside it: 'darknet detector test', "
                + "or 'deepext detect --cfg FILE.cfg --weights FILE.weights --classes FILE.names'"),
        };

    private const string DarknetExtension = ".cfg";

    /// <summary>The files a Darknet export writes besides the cfg: its weights and its class names.</summary>
    private static (string Weights, string Names) DarknetCompanions(string cfgPath) =>
        (Path.ChangeExtension(cfgPath, ".weights"), Path.ChangeExtension(cfgPath, ".names"));

    private static void WriteDarknet(DarknetYoloDetector detector, string cfgPath)
    {
        var (weights, names) = DarknetCompanions(cfgPath);
        // Run has checked all three paths against --force.
        detector.ExportDarknet(cfgPath, weights, overwrite: true);
        File.WriteAllLines(names, detector.ClassNames);
    }

    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("model", "FILE", "A model.zip saved by 'deepext train' or 'deepext import' (or any ML.NET model holding a DeepExtensions network).", Required: true),
        new("out", "FILE", "Where to write the network; the extension picks the format: " + string.Join(", ", Exporters.Keys) + "; YOLO detectors: " + string.Join(", ", YoloExporters.Keys) + ".", Required: true),
        new("nms", null, "YOLO detectors: put the model's NMS in the ONNX graph (output [N, max detections, 6]: x0 y0 x1 y1 score class; 'deepext detect --kind yolov10')."),
        new("force", null, "Overwrite --out if it exists."),
    };

    public const string Summary =
        "Writes the network of a saved model in another format, picked by --out's extension: .onnx (opset 13; input\n" +
        "[N, C, H, W] floats with pixels in [0, 1], output Score, the class probabilities; the model's input normalization\n" +
        "(e.g. --normalize imagenet) and pixel scaling are inside the graph; ONNX Runtime, ML.NET's\n" +
        "ApplyOnnxModel and OpenCV's dnn module run it), .pt/.pth (PyTorch's torch.save format) or .safetensors, both\n" +
        "with torchvision's tensor names, so\n" +
        "torchvision.models.resnet18(num_classes=N).load_state_dict(torch.load(FILE)) takes them. The input\n" +
        "normalization the model applies (e.g. ImageNet's) is not part of a state dictionary: apply it in Python.\n" +
        "A YOLO detector (deepext train --task object-detection) exports to .onnx in YOLOv5's layout (decoded boxes,\n" +
        "objectness and class probabilities, no NMS): 'deepext detect --model FILE.onnx --kind yolov5 --confidence C\n" +
        "--max-detections N' with the trained model's thresholds (defaults 0.05 and 100) gives its detections. With --nms\n" +
        "the graph also holds the model's NMS and thresholds (end-to-end output; 'deepext detect --kind yolov10').\n" +
        "To .cfg it writes the Darknet cfg, .weights and .names that Darknet itself runs with the same boxes.";

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        if (Arguments.ParseOrShowHelp("export", args, Options, Summary, context.Out) is not { } arguments)
            return ExitCodes.Success;
        string modelPath = arguments.Require("model"), outPath = arguments.Require("out");
        string extension = Path.GetExtension(outPath);
        if (!Exporters.ContainsKey(extension) && !YoloExporters.ContainsKey(extension))
            throw CliException.UsageError($"export: --out '{outPath}' has the extension '{extension}': expected one of {string.Join(", ", Exporters.Keys.Union(YoloExporters.Keys, StringComparer.OrdinalIgnoreCase))}");
        bool force = arguments.Has("force");
        OutputFile.CheckWritable(outPath, "--out", force);
        if (extension.Equals(DarknetExtension, StringComparison.OrdinalIgnoreCase))
        {
            if (arguments.Has("nms"))
                throw CliException.UsageError("export: --nms applies to .onnx; a Darknet cfg runs Darknet's own NMS");
            var (weightsPath, namesPath) = DarknetCompanions(outPath);
            OutputFile.CheckWritable(weightsPath, "--out (Darknet weights)", force);
            OutputFile.CheckWritable(namesPath, "--out (class names)", force);
        }
        if (!File.Exists(modelPath))
            throw CliException.DataError($"--model '{modelPath}' not found");
        if (extension.Equals(".onnx", StringComparison.OrdinalIgnoreCase) && IsCsvModel(modelPath))
            throw CliException.DataError($"export: --model '{modelPath}' is a CSV model; ONNX export covers image classifiers (a CSV model's pipeline normalizes its columns before the network, which the graph would leave out)");

        var mlContext = new MLContext(TrainingArguments.DefaultSeed);
        mlContext.RegisterDeepExtensions();
        ITransformer model;
        try
        {
            model = mlContext.Model.Load(modelPath, out _);
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException or FormatException)
        {
            throw CliException.DataError($"--model '{modelPath}' cannot be loaded: {Messages.OneLine(e)}");
        }
        try
        {
            if (OnnxExport.FindYoloDetector(model) is { } yolo)
                return ExportYolo(yolo, modelPath, outPath, extension, arguments.Has("nms"), context);
            if (arguments.Has("nms"))
                throw CliException.UsageError($"export: --nms applies to YOLO detectors; --model '{modelPath}' is not one");
            var network = ImageNetworkWeights.FindNetwork(model) ?? throw CliException.DataError($"--model '{modelPath}' holds no DeepExtensions network to export");
            if (!Exporters.TryGetValue(extension, out var exporter))
                throw CliException.DataError($"export: --model '{modelPath}' is not a YOLO detector; {extension} exports YOLO detectors only (this model exports to {string.Join(", ", Exporters.Keys)})");
            try
            {
                exporter.Write(network, outPath);
            }
            catch (Exception e) when (e is ArgumentException or OnnxFormatException)
            {
                throw CliException.DataError($"--model '{modelPath}' cannot be exported to {extension}: {Messages.OneLine(e)}");
            }
            context.Note($"wrote {network.Network} to {outPath} ({exporter.Description})");
            return ExitCodes.Success;
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }

    private static int ExportYolo(DarknetYoloDetector detector, string modelPath, string outPath, string extension, bool nms, CliContext context)
    {
        if (!YoloExporters.TryGetValue(extension, out var exporter))
            throw CliException.DataError($"--model '{modelPath}' is a YOLO detector, which exports to {string.Join(", ", YoloExporters.Keys)}, not {extension}");
        try
        {
            exporter.Write(detector, outPath, nms);
        }
        catch (Exception e) when (e is ArgumentException or OnnxFormatException)
        {
            throw CliException.DataError($"--model '{modelPath}' cannot be exported to {extension}: {Messages.OneLine(e)}");
        }
        context.Note($"wrote the YOLO detector{(nms ? " with NMS" : "")} ({detector.Network}) to {outPath} ({exporter.Description})");
        return ExitCodes.Success;
    }

    /// <summary>True for a model.zip of <c>deepext train</c> on CSV data, whose network reads normalized columns.</summary>
    private static bool IsCsvModel(string path)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            if (zip.GetEntry(ModelInfo.EntryName) is not { } entry)
                return false;
            using var reader = new StreamReader(entry.Open());
            return ModelInfo.FromJson(reader.ReadToEnd()) is { Images: null, Detection: null };
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }
}
