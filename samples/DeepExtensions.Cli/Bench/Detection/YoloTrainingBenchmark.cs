using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using DeepExtensions.Cli.Commands;
using DeepExtensions.Cli.Pipelines;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Schedules;
using Microsoft.ML.DeepExtensions.Vision;
using Microsoft.ML.DeepExtensions.Vision.Data.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;
using Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;
using Microsoft.ML.DeepExtensions.Vision.Detection.Training;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo.Training;
using Microsoft.ML.DeepExtensions.Vision.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepExtensions.Cli.Bench.Detection;

/// <summary>
/// <c>deepext bench yolo-training</c>: the same YOLO network trained on the same images through <c>Fit()</c> (the
/// YOLO trainer on a detection data view) and through a bare TorchSharp loop (decode and letterbox the images into
/// one tensor, then per batch index, forward, the same YOLOv3 loss, backward, Adam), alternating in one process after
/// a warm-up; then scoring the trained model through <c>Transform</c> against a bare batched forward, decode and NMS
/// of the same images. Both sides decode the images from their files and letterbox them with the same code, and
/// train without augmentation, so the ratios measure what the pipeline adds.
/// </summary>
public static class YoloTrainingBenchmark
{
    private const string Command = "bench yolo-training";

    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("data", "DATA", "Detection data (default: samples/data/detection-sample/data.yaml)."),
        new("arch", "NAME", "YOLO architecture or cfg (default: the trainer's default)."),
        new("image-size", "N", "Network input side (default: 160)."),
        new("epochs", "N", "Epochs per timed run (default: 1)."),
        new("batch-size", "N", "Images per step (default: 16)."),
        new("repeats", "N", "Timed runs per side, alternating (default: 3)."),
        new("seed", "N", "Seed (default: 1)."),
    };

    public const string Summary = "YOLO training through Fit() vs a bare TorchSharp loop (same network, loss, images), then Transform vs a bare batched forward + decode + NMS.";

    /// <summary>The pipeline must reach this share of the bare loop's speed, in training and in scoring (issue 9).</summary>
    public const double TargetRatio = 0.9;

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        if (Arguments.ParseOrShowHelp(Command, args, Options, Summary, stdout) is not { } arguments)
            return ExitCodes.Success;
        string dataPath = arguments.Get("data") ?? Path.Combine("samples", "data", "detection-sample", "data.yaml");
        string arch = arguments.Get("arch") ?? new YoloTrainer.Options().Architecture;
        int size = MicroBenchmark.PositiveInt(arguments, Command, "image-size", 160), epochs = MicroBenchmark.PositiveInt(arguments, Command, "epochs", 1);
        int batchSize = MicroBenchmark.PositiveInt(arguments, Command, "batch-size", 16), repeats = MicroBenchmark.PositiveInt(arguments, Command, "repeats", 3);
        int seed = MicroBenchmark.PositiveInt(arguments, Command, "seed", 1);

        TorchBackend.EnsureStarted();
        var dataset = DetectionDataSet.Open(dataPath, "--data");
        var mlContext = new MLContext(seed);
        var view = dataset.ToDataView();
        stderr.WriteLine($"bench: {dataset} at {size}x{size}, {arch}, batch {batchSize}, cpu, torch threads {torch.get_num_threads()}");

        YoloTrainer.Options TrainerOptions(int runEpochs) => new()
        {
            Architecture = arch,
            ImageSize = size,
            Anchors = YoloAnchorSource.Paper,
            Augmentation = DetectionAugmentationOptions.None,
            Epochs = runEpochs,
            BatchSize = Microsoft.ML.DeepExtensions.Training.BatchSize.Of(batchSize),
            LearningRateSchedule = new ConstantSchedule(),
            EarlyStoppingPatience = 0,
            Seed = seed,
            Device = ComputeDevice.Cpu,
        };

        stderr.WriteLine("bench: warm-up (1 epoch each side)");
        mlContext.ObjectDetection().Trainers.Yolo(TrainerOptions(1)).Fit(view).Dispose();
        Bare(dataset, arch, size, 1, batchSize, seed, cancellation).Network.Dispose();

        var pipelineRates = new List<double>();
        var bareRates = new List<double>();
        DarknetYoloDetector? model = null;
        DarknetNetwork? bareNetwork = null;
        for (int repeat = 1; repeat <= repeats; repeat++)
        {
            model?.Dispose();
            bareNetwork?.Dispose();
            var clock = Stopwatch.StartNew();
            model = mlContext.ObjectDetection().Trainers.Yolo(TrainerOptions(epochs)).Fit(view);
            double pipelineRate = dataset.Images.Count * (double)epochs / clock.Elapsed.TotalSeconds;
            var bare = Bare(dataset, arch, size, epochs, batchSize, seed, cancellation);
            bareNetwork = bare.Network;
            pipelineRates.Add(pipelineRate);
            bareRates.Add(bare.ImagesPerSecond);
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench: run {repeat}: pipeline {pipelineRate:N1} images/s, bare {bare.ImagesPerSecond:N1} images/s"));
        }

        // Scoring, alternating too: Transform (batched) against a bare batched forward + decode + NMS, same images from their files.
        var transformRates = new List<double>();
        var bareScoringRates = new List<double>();
        for (int repeat = 0; repeat <= repeats; repeat++)
        {
            var clock = Stopwatch.StartNew();
            int scored = ScoreThroughTransform(model!, view);
            double transformRate = scored / clock.Elapsed.TotalSeconds;
            double bareRate = BareScoring(model!, dataset, batchSize);
            if (repeat == 0)
                continue; // warm-up
            transformRates.Add(transformRate);
            bareScoringRates.Add(bareRate);
        }
        model!.Dispose();
        bareNetwork?.Dispose();

        double pipelineMedian = BenchStats.Median(pipelineRates), bareMedian = BenchStats.Median(bareRates);
        double transformMedian = BenchStats.Median(transformRates), bareScoringMedian = BenchStats.Median(bareScoringRates);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"training   pipeline {pipelineMedian,8:N1} images/s   bare TorchSharp {bareMedian,8:N1} images/s   ratio {pipelineMedian / bareMedian:F3} (target >= {TargetRatio})"));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"scoring    Transform {transformMedian,8:N1} images/s   bare forward + NMS {bareScoringMedian,8:N1} images/s   ratio {transformMedian / bareScoringMedian:F3} (target >= {TargetRatio})"));
        var json = new JsonObject
        {
            ["Benchmark"] = "yolo-training",
            ["Architecture"] = arch,
            ["Images"] = dataset.Images.Count,
            ["ImageSize"] = size,
            ["PipelineImagesPerSecond"] = Math.Round(pipelineMedian, 2),
            ["BareImagesPerSecond"] = Math.Round(bareMedian, 2),
            ["TrainingRatio"] = Math.Round(pipelineMedian / bareMedian, 4),
            ["TransformImagesPerSecond"] = Math.Round(transformMedian, 2),
            ["BareScoringImagesPerSecond"] = Math.Round(bareScoringMedian, 2),
            ["ScoringRatio"] = Math.Round(transformMedian / bareScoringMedian, 4),
        };
        stdout.WriteLine(json.ToJsonString());
        return ExitCodes.Success;
    }

    /// <summary>
    /// What a competent TorchSharp user writes: the images decoded and letterboxed into one byte tensor, the boxes mapped
    /// with them; the same network (cfg, classes, anchors, seed) and the same loss; per epoch a <c>randperm</c>, per batch
    /// <c>index_select</c> and the batch's targets inside a dispose scope, Adam at 0.001. Returns images/s over the run,
    /// decoding included (as the pipeline's <c>Fit</c> includes its own).
    /// </summary>
    private static (double ImagesPerSecond, DarknetNetwork Network) Bare(DetectionDataset dataset, string arch, int size, int epochs, int batchSize, int seed, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        int n = dataset.Images.Count, plane = 3 * size * size;
        var pixels = new byte[(long)n * plane];
        var targets = new float[n][];
        for (int i = 0; i < n; i++)
        {
            var entry = dataset.Images[i];
            using var image = MLImage.CreateFromFile(entry.Path);
            var mapping = ImageResizeMapping.Letterbox(image.Width, image.Height, size, size);
            using (var letterboxed = mapping.Apply(image))
                ImagePlanes.WriteRgbBytes(letterboxed, pixels.AsSpan(i * plane, plane));
            targets[i] = entry.Objects.SelectMany(o => new[]
            {
                0f, o.ClassIndex,
                (float)(o.X0 * mapping.ScaleX + mapping.PadLeft), (float)(o.Y0 * mapping.ScaleY + mapping.PadTop),
                (float)(o.X1 * mapping.ScaleX + mapping.PadLeft), (float)(o.Y1 * mapping.ScaleY + mapping.PadTop),
            }).ToArray();
        }

        torch.manual_seed(seed);
        var config = YoloArchitectures.Get(arch);
        config.SetInputSize(size, size, 3);
        config.SetClassCount(dataset.ClassNames.Count);
        float scale = (float)size / YoloArchitectures.PaperInputSize;
        var paper = config.GetYoloLayers()[0].AllAnchors.Count == 9 ? YoloArchitectures.YoloV3Anchors : YoloArchitectures.YoloV3TinyAnchors;
        config.SetAnchors(paper.Select(a => (a.Width * scale, a.Height * scale)).ToArray());
        var network = new DarknetNetwork(config);
        var loss = new YoloLoss(network.YoloLayers, size, YoloBoxLoss.SquaredError, YoloObjectnessTarget.Iou);
        using var optimizer = optim.Adam(network.parameters(), 1e-3);
        using var images = torch.from_array(pixels).view(n, 3, size, size);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            network.train();
            var order = torch.randperm(n).data<long>().ToArray();
            for (int start = 0; start < n; start += batchSize)
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = torch.NewDisposeScope();
                var batch = order.Skip(start).Take(batchSize).ToArray();
                var x = images.index_select(0, torch.tensor(batch)).to_type(ScalarType.Float32).div_(255f);
                var rows = batch.SelectMany((image, k) => WithImageIndex(targets[image], k)).ToArray();
                var y = torch.tensor(rows).view(-1, 6);
                optimizer.zero_grad();
                var (total, _) = loss.Compute(network.forward(x), y, batch.Length);
                total.backward();
                optimizer.step();
                total.item<float>();
            }
        }
        return (n * (double)epochs / clock.Elapsed.TotalSeconds, network);
    }

    private static IEnumerable<float> WithImageIndex(float[] targets, int index)
    {
        for (int t = 0; t < targets.Length; t += 6)
        {
            yield return index;
            for (int k = 1; k < 6; k++)
                yield return targets[t + k];
        }
    }

    /// <summary>Reads every detection column of <c>Transform</c>'s rows, as an application would.</summary>
    private static int ScoreThroughTransform(DarknetYoloDetector model, IDataView view)
    {
        var scored = model.Transform(view);
        var columns = new[] { scored.Schema[DetectionColumns.DefaultPredictedBoundingBoxesColumnName], scored.Schema[DetectionColumns.DefaultScoreColumnName], scored.Schema[DetectionColumns.DefaultPredictedLabelColumnName] };
        using var cursor = scored.GetRowCursor(columns);
        var boxes = cursor.GetGetter<VBuffer<float>>(columns[0]);
        var scores = cursor.GetGetter<VBuffer<float>>(columns[1]);
        var labels = cursor.GetGetter<VBuffer<uint>>(columns[2]);
        VBuffer<float> b = default, s = default;
        VBuffer<uint> l = default;
        int rows = 0;
        while (cursor.MoveNext())
        {
            boxes(ref b);
            scores(ref s);
            labels(ref l);
            rows++;
        }
        return rows;
    }

    /// <summary>The bare side of scoring: decode, letterbox, one forward per batch, the Darknet decode, class-aware NMS, boxes mapped back.</summary>
    private static double BareScoring(DarknetYoloDetector model, DetectionDataset dataset, int batchSize)
    {
        var network = model.Network;
        int size = model.ImageSize, plane = 3 * size * size;
        var decoders = network.YoloLayers.Select(h => new YoloLayerDecoder(h)).ToArray();
        var clock = Stopwatch.StartNew();
        var input = new float[batchSize * plane];
        for (int start = 0; start < dataset.Images.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, dataset.Images.Count - start);
            var mappings = new ImageResizeMapping[count];
            for (int i = 0; i < count; i++)
            {
                using var image = MLImage.CreateFromFile(dataset.Images[start + i].Path);
                mappings[i] = ImageResizeMapping.Letterbox(image.Width, image.Height, size, size);
                using var letterboxed = mappings[i].Apply(image);
                ImageTensorWriter.WriteRgbPlanar(letterboxed, input.AsSpan(i * plane, plane), 1f / 255f);
            }
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var outputs = network.forward(torch.from_array(input).narrow(0, 0, (long)count * plane).view(count, 3, size, size));
            var decoded = outputs.Select((o, h) => decoders[h].Decode(o)).ToArray();
            var boxes = torch.cat(decoded.Select(d => d.Boxes).ToArray(), 1);
            var scores = torch.cat(decoded.Select(d => d.ClassProbabilities).ToArray(), 1);
            for (int i = 0; i < count; i++)
            {
                var above = (scores[i] > model.ConfidenceThreshold).nonzero();
                if (above.shape[0] == 0)
                    continue;
                var candidates = boxes[i].index_select(0, above[.., 0]);
                var candidateScores = scores[i].index(new TensorIndex[] { TensorIndex.Tensor(above[.., 0]), TensorIndex.Tensor(above[.., 1]) });
                var kept = NonMaxSuppression.ApplyPerClass(candidates, candidateScores, above[.., 1], model.IouThreshold);
                var keptBoxes = candidates.index_select(0, kept.narrow(0, 0, Math.Min(kept.shape[0], model.MaxDetections))).clamp(0, size).data<float>().ToArray();
                mappings[i].BoxesToSource(keptBoxes);
            }
        }
        return dataset.Images.Count / clock.Elapsed.TotalSeconds;
    }
}
