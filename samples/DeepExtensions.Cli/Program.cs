using DeepExtensions.Cli.Commands;
using DeepExtensions.Cli.Pipelines;

namespace DeepExtensions.Cli;

/// <summary>
/// <c>deepext</c>: train, evaluate and use ML.NET multi-layer perceptrons on CSV files without writing code.
/// Results go to stdout, progress and messages to stderr. Exit codes: 0 success, 1 a data error
/// (missing, empty or malformed file, missing column, wrong label values), 2 a usage error (unknown
/// option or value, existing --out without --force), 130 cancelled (Ctrl+C).
/// </summary>
public static class Program
{
    public const string Usage =
        "Usage: deepext COMMAND [OPTIONS]\n" +
        "\n" +
        "Trains and uses ML.NET deep-learning models (TorchSharp) on CSV files and images, no code needed.\n" +
        "\n" +
        "Commands:\n" +
        "  train      Train a model and save it: an MLP on a CSV file (--task binary, multiclass or\n" +
        "             regression), a CNN on images (--task image-classification), a YOLO detector\n" +
        "             (--task object-detection) or a Haar cascade (--task haar-cascade).\n" +
        "             'deepext train --task TASK --help' shows a task's options.\n" +
        "  evaluate   Print a saved model's metrics on a labelled CSV file, COCO detection or instance\n" +
        "             segmentation metrics of COCO JSON files (--task detection|segmentation), or\n" +
        "             semantic segmentation metrics of label images (--task semantic-segmentation).\n" +
        "  predict    Write a saved model's predictions for a CSV file or images.\n" +
        "  bench      Benchmark training and detection.\n" +
        "  summary    Print an image architecture's layers, output shapes and parameter counts.\n" +
        "  export     Write a model.zip's network in another format (.onnx, .pt, .safetensors).\n" +
        "  import     Make a scoring model.zip from pretrained weights (--arch NAME --weights FILE.pt|.safetensors)\n" +
        "             or from an ONNX image classifier (--onnx FILE).\n" +
        "  detect     Find objects in images: an ONNX detector (--model: YOLO, Faster/Mask R-CNN) or a Haar\n" +
        "             cascade (--cascade FILE.xml).\n" +
        "  segment    Label every pixel of images with a semantic segmentation model (torchvision FCN,\n" +
        "             DeepLabV3, LRASPP exported to ONNX); writes class maps and overlays.\n" +
        "  haar-sample  Write a generated data set for 'train --task haar-cascade' (Haar cascade training).\n" +
        "  propose    Propose object regions with selective search (OpenCV's proposals); writes JSON and\n" +
        "             drawn images.\n" +
        "\n" +
        "Example:\n" +
        "  deepext train --task binary --data samples/data/breast-cancer-train.csv --label diagnosis \\\n" +
        "                --test samples/data/breast-cancer-test.csv --out model.zip\n" +
        "  deepext evaluate --model model.zip --data samples/data/breast-cancer-test.csv --label diagnosis\n" +
        "  deepext predict --model model.zip --data samples/data/breast-cancer-test.csv --out predictions.csv\n" +
        "  deepext summary --arch resnet18 --input 3x224x224 --classes 1000\n" +
        "  deepext train --task image-classification --data samples/data/fashion-mnist-subset --out fm.zip\n" +
        "  deepext evaluate --task detection --ground-truth instances.json --predictions results.json\n" +
        "\n" +
        "Run 'deepext COMMAND --help' for a command's options. Results go to stdout; progress and messages\n" +
        "to stderr. Exit codes: 0 success, 1 data error, 2 usage error, 130 cancelled.";

    public static int Main(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            if (cancellation.IsCancellationRequested)
                return; // a second Ctrl+C ends the process at once
            e.Cancel = true;
            Console.Error.WriteLine("deepext: cancelling (Ctrl+C again to stop at once)");
            cancellation.Cancel();
        };
        bool live = !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb";
        return Run(args, Console.Out, Console.Error, live, cancellation.Token);
    }

    /// <summary>Runs one command line in-process, writing results to <paramref name="stdout"/> and messages to <paramref name="stderr"/>.</summary>
    /// <returns>The exit code.</returns>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default) =>
        Run(args, stdout, stderr, live: false, cancellationToken);

    private static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool live, CancellationToken cancellationToken)
    {
        var context = new CliContext(stdout, stderr, live, cancellationToken);
        try
        {
            if (args.Length == 0)
            {
                stderr.WriteLine(Usage);
                return ExitCodes.Usage;
            }

            var rest = args[1..];
            switch (args[0])
            {
                case "train" when TaskOf(rest) == TaskNames.ImageClassification:
                    return ImageTrainCommand.Run(rest, context);
                case "train" when TaskOf(rest) == DetectionTrainCommand.Task:
                    return DetectionTrainCommand.Run(rest, context);
                case "train" when TaskOf(rest) == HaarTrainCommand.Task:
                    return HaarTrainCommand.Run(rest, context);
                case "train":
                    return TrainCommand.Run(rest, context);
                case "haar-sample":
                    return HaarSampleCommand.Run(rest, context);
                case "segment":
                    return SegmentCommand.Run(rest, context);
                case "evaluate":
                    return EvaluateCommand.Run(rest, context);
                case "predict":
                    return PredictCommand.Run(rest, context);
                case "bench":
                    return BenchCommand.Run(rest, stdout, stderr, cancellationToken);
                case "summary":
                    return SummaryCommand.Run(rest, context);
                case "propose":
                    return ProposeCommand.Run(rest, context);
                case "export":
                    return ExportCommand.Run(rest, context);
                case "import" when rest.Any(a => a == "--onnx" || a.StartsWith("--onnx=", StringComparison.Ordinal)):
                    return OnnxImportCommand.Run(rest, context);
                case "import":
                    return ImportCommand.Run(rest, context);
                case "detect" when rest.Any(a => a == "--cascade" || a.StartsWith("--cascade=", StringComparison.Ordinal)):
                    return HaarDetectCommand.Run(rest, context);
                case "detect" when !rest.Any(a => a is "--help" or "-h" || a == "--model" || a.StartsWith("--model=", StringComparison.Ordinal) || a == "--cfg" || a.StartsWith("--cfg=", StringComparison.Ordinal)):
                    throw CliException.UsageError("detect: --model FILE (an ONNX detector or a trained model.zip), --cfg FILE.cfg --weights FILE.weights (Darknet) or --cascade FILE.xml (a Haar cascade) is required (see 'deepext detect --help')");
                case "detect":
                    // ONNX detectors (--model FILE.onnx --kind ...); its help names --cascade for Haar cascades.
                    return OnnxDetectCommand.Run(rest, context);
                case "help" when rest.Length == 1 && rest[0] is "train" or "evaluate" or "predict" or "bench" or "summary" or "export" or "import" or "detect" or "segment" or "propose":
                    return Run(new[] { rest[0], "--help" }, stdout, stderr, live, cancellationToken);
                case "help" or "--help" or "-h":
                    stdout.WriteLine(Usage);
                    return ExitCodes.Success;
                default:
                    throw CliException.UsageError($"unknown command '{args[0]}' (expected train, evaluate, predict, detect, segment, propose, export, import, bench or summary; see 'deepext --help')");
            }
        }
        catch (CliException e)
        {
            context.Note(e.Message);
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            context.Note("cancelled; no model was written");
            return ExitCodes.Cancelled;
        }
        catch (Exception e)
        {
            context.Note($"error: {Messages.OneLine(e)}");
            if (Environment.GetEnvironmentVariable("DEEPEXT_TRACE") is "1" or "true")
                stderr.WriteLine(e);
            return ExitCodes.Data;
        }
    }

    /// <summary>The value of --task, which picks the command that trains it; null when absent.</summary>
    private static string? TaskOf(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count - 1; i++)
        {
            if (args[i] == "--task")
                return args[i + 1].Trim().ToLowerInvariant();
            if (args[i].StartsWith("--task=", StringComparison.Ordinal))
                return args[i]["--task=".Length..].Trim().ToLowerInvariant();
        }
        return args.Count > 0 && args[^1].StartsWith("--task=", StringComparison.Ordinal) ? args[^1]["--task=".Length..].Trim().ToLowerInvariant() : null;
    }
}
