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

    public static readonly IReadOnlyList<CliOption> Options = DetectorTrainingBench.Options(0, 16,
        new CliOption("arch", "NAME", "YOLO architecture or cfg (default: the trainer's default)."));

    public const string Summary = "YOLO training through Fit() vs a bare TorchSharp loop (same network, loss, images), then Transform vs a bare batched forward + decode + NMS.";

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        if (Arguments.ParseOrShowHelp(Command, args, Options, Summary, stdout) is not { } arguments)
            return ExitCodes.Success;
        var settings = DetectorTrainingBench.Read(arguments, Command, defaultImages: 0, defaultBatchSize: 16);
        string arch = arguments.Get("arch") ?? new YoloTrainer.Options().Architecture;
        var (dataset, size, epochs, batchSize, repeats, seed) = settings;

        TorchBackend.EnsureStarted();
        var mlContext = new MLContext(seed);
        var view = dataset.ToDataView();
        stderr.WriteLine($"bench: {dataset} at {size}x{size}, {arch}, batch {batchSize}, cpu, torch threads {torch.get_num_threads()}");

        YoloTrainer.Options TrainerOptions(int runEpochs) =>
            DetectorTrainingBench.Configure(new YoloTrainer.Options { Architecture = arch, Anchors = YoloAnchorSource.Paper }, settings, runEpochs);

        var (pipelineRates, bareRates, model) = DetectorTrainingBench.Alternate(dataset.Images.Count, epochs, repeats,
            runEpochs => mlContext.ObjectDetection().Trainers.Yolo(TrainerOptions(runEpochs)).Fit(view),
            runEpochs => Bare(dataset, arch, size, runEpochs, batchSize, seed, cancellation), stderr);

        // Scoring, alternating too: Transform (batched) against a bare batched forward + decode + NMS, same images from their files.
        var transformRates = new List<double>();
        var bareScoringRates = new List<double>();
        for (int repeat = 0; repeat <= repeats; repeat++)
        {
            var clock = Stopwatch.StartNew();
            int scored = DetectorTrainingBench.ScoreThroughTransform(model, view);
            double transformRate = scored / clock.Elapsed.TotalSeconds;
            double bareRate = BareScoring(model, dataset, batchSize);
            if (repeat == 0)
                continue; // warm-up
            transformRates.Add(transformRate);
            bareScoringRates.Add(bareRate);
        }
        model.Dispose();

        double pipelineMedian = BenchStats.Median(pipelineRates), bareMedian = BenchStats.Median(bareRates);
        double transformMedian = BenchStats.Median(transformRates), bareScoringMedian = BenchStats.Median(bareScoringRates);
        stdout.WriteLine(DetectorTrainingBench.TrainingLine(pipelineMedian, bareMedian));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"scoring    Transform {transformMedian,8:N1} images/s   bare forward + NMS {bareScoringMedian,8:N1} images/s   ratio {transformMedian / bareScoringMedian:F3} (target >= {DetectorTrainingBench.TargetRatio})"));
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
    /// with them; the same network (cfg, classes, anchors, seed) and the same loss; the bare loop of
    /// <see cref="DetectorTrainingBench.Train"/> with Adam at 0.001, each batch's targets as rows of image index, class and box.
    /// </summary>
    private static DarknetNetwork Bare(DetectionDataset dataset, string arch, int size, int epochs, int batchSize, int seed, CancellationToken cancellation)
    {
        var data = DetectorTrainingBench.Load(dataset, size);
        torch.manual_seed(seed);
        var config = YoloArchitectures.Get(arch);
        config.SetInputSize(size, size, 3);
        config.SetClassCount(dataset.ClassNames.Count);
        float scale = (float)size / YoloArchitectures.PaperInputSize;
        var paper = config.GetYoloLayers()[0].AllAnchors.Count == 9 ? YoloArchitectures.YoloV3Anchors : YoloArchitectures.YoloV3TinyAnchors;
        config.SetAnchors(paper.Select(a => (a.Width * scale, a.Height * scale)).ToArray());
        var network = new DarknetNetwork(config);
        // The trainer's default loss settings, so both sides compute the same loss (its extra responsible anchors included).
        var loss = new YoloTrainer.Options().CreateLoss(network.YoloLayers, size);
        using var optimizer = optim.Adam(network.parameters(), 1e-3);
        DetectorTrainingBench.Train(data, network, optimizer, (x, batch) =>
        {
            var rows = batch.SelectMany((image, k) => WithImageIndex(data.Objects[image], k)).ToArray();
            return loss.Compute(network.forward(x), torch.tensor(rows).view(-1, 6), batch.Length).Total;
        }, epochs, batchSize, cancellation);
        return network;
    }

    private static IEnumerable<float> WithImageIndex(float[] objects, int index)
    {
        for (int t = 0; t < objects.Length; t += 5)
        {
            yield return index;
            for (int k = 0; k < 5; k++)
                yield return objects[t + k];
        }
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
