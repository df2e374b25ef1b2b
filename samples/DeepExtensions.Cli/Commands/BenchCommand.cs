using DeepExtensions.Cli.Bench;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// <c>deepext bench</c>: side-by-side performance measurements in one process (DESIGN.md §7).
/// <c>deepext bench tabular</c> compares the ML.NET pipeline with a bare TorchSharp loop; <c>deepext bench nms</c>
/// compares NonMaxSuppression with a per-box <c>.item()</c> loop; <c>deepext bench roi-align</c> compares RoIAlign
/// with a per-box loop.
/// </summary>
public static class BenchCommand
{
    public const string Usage =
        "Usage: deepext bench BENCHMARK [OPTIONS]\n" +
        "\n" +
        "Measures side by side in one run and prints the ratio (results on stdout, the last line JSON).\n" +
        "\n" +
        "Benchmarks:\n" +
        "  tabular    ML.NET MLP pipeline (Fit, Transform, PredictionEngine) vs a bare TorchSharp loop,\n" +
        "             same network, same synthetic data.\n" +
        "  image      ML.NET CNN pipeline (Fit, Transform, PredictionEngine) vs a bare TorchSharp loop,\n" +
        "             same network, same IDX images (Fashion-MNIST when installed).\n" +
        "  detection  Our YOLO transform (batched, PredictionEngine) vs ML.NET's ApplyOnnxModel with a\n" +
        "             hand-written decode, same YOLOv8n-shaped model and photos; post-processing per image.\n" +
        "  segmentation  Our semantic segmentation transform vs bare ONNX Runtime on prepared input, same\n" +
        "             model (torchvision's LRASPP) and photos; peak memory of a short and a long run.\n" +
        "  nms        DeepExtensions' NonMaxSuppression vs a per-box .item() greedy loop, same boxes.\n" +
        "  roi-align  DeepExtensions' vectorized RoIAlign vs a per-box loop, forward and backward, same inputs.\n" +
        "  mask-head  Mask R-CNN's mask head over N RoIs, forward and backward (mask_head_speed.py: PyTorch's).\n" +
        "  yolo-training  YOLO trainer in Fit() vs a bare TorchSharp loop (same network, loss, images), then\n" +
        "             Transform vs a bare batched forward + decode + NMS.\n" +
        "  rcnn-training  Faster R-CNN trainer in Fit() vs a bare TorchSharp loop over the same network and\n" +
        "             images (no augmentation).\n" +
        "  selective-search  Our selective search vs OpenCV's (python3-opencv), one core each, same pixels;\n" +
        "             also checks that the proposal lists are identical.\n" +
        "  soak       Memory over long runs: 1,000,000 rows through a tabular model's Transform and 20,000\n" +
        "             images through a detector; the working set after warm-up must grow by at most 5%.\n" +
        "\n" +
        "Run 'deepext bench BENCHMARK --help' for its options.";

    /// <summary>Runs <c>deepext bench ARGS</c> on the console.</summary>
    /// <exception cref="CliException">A usage error (exit code 2).</exception>
    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs <c>deepext bench ARGS</c>, the table and JSON to <paramref name="stdout"/>, progress to <paramref name="stderr"/>.</summary>
    /// <exception cref="CliException">A usage error (exit code 2).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0)
        {
            stderr.WriteLine(Usage);
            return ExitCodes.Usage;
        }
        switch (args[0])
        {
            case "--help" or "-h" or "help":
                stdout.WriteLine(Usage);
                return ExitCodes.Success;
            case "tabular":
                var options = TabularBenchOptions.Parse(args[1..]);
                if (options.Help)
                {
                    stdout.WriteLine(TabularBenchOptions.Usage);
                    return ExitCodes.Success;
                }
                return TabularBenchmark.Run(options, stdout, stderr, cancellationToken);
            case "image":
                return ImageBenchmark.Run(args[1..], stdout, stderr, cancellationToken);
            case "segmentation":
                var segmentation = Bench.Segmentation.SegmentationBenchOptions.Parse(args[1..]);
                if (segmentation.Help)
                {
                    stdout.WriteLine(Arguments.HelpText("bench segmentation", Bench.Segmentation.SegmentationBenchOptions.Summary, Bench.Segmentation.SegmentationBenchOptions.All));
                    return ExitCodes.Success;
                }
                return Bench.Segmentation.SegmentationBenchmark.Run(segmentation, stdout, stderr, cancellationToken);
            case "detection":
                var detection = Bench.Detection.DetectionBenchOptions.Parse(args[1..]);
                if (detection.Help)
                {
                    stdout.WriteLine(Arguments.HelpText("bench detection", Bench.Detection.DetectionBenchOptions.Summary, Bench.Detection.DetectionBenchOptions.All));
                    return ExitCodes.Success;
                }
                return Bench.Detection.DetectionBenchmark.Run(detection, stdout, stderr, cancellationToken);
            case "nms":
                return NmsBenchmark.Run(args[1..], stdout);
            case "yolo-training":
                return Bench.Detection.YoloTrainingBenchmark.Run(args[1..], stdout, stderr, cancellationToken);
            case "rcnn-training":
                return Bench.Detection.RcnnTrainingBenchmark.Run(args[1..], stdout, stderr, cancellationToken);
            case "roi-align":
                return RoIAlignBenchmark.Run(args[1..], stdout);
            case "mask-head":
                return MaskHeadBenchmark.Run(args[1..], stdout);
            case "soak":
                return SoakBenchmark.Run(args[1..], stdout, stderr, cancellationToken);
            case "selective-search":
                return Bench.Proposals.SelectiveSearchBenchmark.Run(args[1..], stdout, stderr, cancellationToken);
            default:
                throw CliException.UsageError($"bench: unknown benchmark '{args[0]}' (expected tabular, image, detection, segmentation, nms, roi-align, mask-head, yolo-training, rcnn-training, selective-search or soak; see 'deepext bench --help')");
        }
    }
}
