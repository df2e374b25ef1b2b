using System.Text.Json.Nodes;
using DeepExtensions.Cli.Commands;
using DeepExtensions.Cli.Pipelines;
using Microsoft.ML;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Schedules;
using Microsoft.ML.DeepExtensions.Vision;
using Microsoft.ML.DeepExtensions.Vision.Data.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection.Training;
using Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;
using Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepExtensions.Cli.Bench.Detection;

/// <summary>
/// <c>deepext bench rcnn-training</c>: the same Faster R-CNN (the trainer's architecture: ResNet body, feature pyramid,
/// torchvision's RPN and RoI-head numbers) trained on the same images through <c>Fit()</c> and through a bare TorchSharp
/// loop (the images decoded and letterboxed into one tensor, per batch <c>FasterRcnn.Loss</c> on the images and their
/// boxes, backward, SGD with momentum), alternating in one process after a warm-up. Neither side augments, both sample
/// anchors and proposals from a generator seeded alike, so the ratio measures what the pipeline adds.
/// </summary>
public static class RcnnTrainingBenchmark
{
    private const string Command = "bench rcnn-training";

    public static readonly IReadOnlyList<CliOption> Options = DetectorTrainingBench.Options(96, 4,
        new CliOption("backbone", "N", "ResNet depth: 18, 34, 50, 101 or 152 (default: 18)."),
        new CliOption("single-map", null, "The layer4 map alone with the paper's nine anchors, instead of the feature pyramid."));

    public const string Summary = "Faster R-CNN training through Fit() vs a bare TorchSharp loop over the same network (same images, no augmentation).";

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        if (Arguments.ParseOrShowHelp(Command, args, Options, Summary, stdout) is not { } arguments)
            return ExitCodes.Success;
        var settings = DetectorTrainingBench.Read(arguments, Command, defaultImages: 96, defaultBatchSize: 4);
        int depth = MicroBenchmark.PositiveInt(arguments, Command, "backbone", 18);
        var (dataset, size, epochs, batchSize, repeats, seed) = settings;

        TorchBackend.EnsureStarted();
        var mlContext = new MLContext(seed);
        var view = dataset.ToDataView();
        FasterRcnnTrainer.Options TrainerOptions(int runEpochs) =>
            DetectorTrainingBench.Configure(new FasterRcnnTrainer.Options { BackboneDepth = depth, Fpn = !arguments.Has("single-map") }, settings, runEpochs);
        var architecture = TrainerOptions(1).Architecture(dataset.ClassNames.Count, size);
        stderr.WriteLine($"bench: {dataset} at {size}x{size}, faster-rcnn resnet{depth}{(architecture.Fpn ? " fpn" : "")}, batch {batchSize}, cpu, torch threads {torch.get_num_threads()}");

        var (pipelineRates, bareRates, model) = DetectorTrainingBench.Alternate(dataset.Images.Count, epochs, repeats,
            runEpochs => mlContext.ObjectDetection().Trainers.FasterRcnn(TrainerOptions(runEpochs)).Fit(view),
            runEpochs => Bare(dataset, architecture, size, runEpochs, batchSize, seed, cancellation), stderr);
        model.Dispose();

        double pipeline = BenchStats.Median(pipelineRates), bare = BenchStats.Median(bareRates);
        stdout.WriteLine(DetectorTrainingBench.TrainingLine(pipeline, bare));
        stdout.WriteLine(new JsonObject
        {
            ["Benchmark"] = "rcnn-training",
            ["Architecture"] = $"faster-rcnn resnet{depth}{(architecture.Fpn ? " fpn" : "")}",
            ["Images"] = dataset.Images.Count,
            ["ImageSize"] = size,
            ["PipelineImagesPerSecond"] = Math.Round(pipeline, 2),
            ["BareImagesPerSecond"] = Math.Round(bare, 2),
            ["TrainingRatio"] = Math.Round(pipeline / bare, 4),
        }.ToJsonString());
        return ExitCodes.Success;
    }

    /// <summary>
    /// What a competent TorchSharp user writes: the data of <see cref="DetectorTrainingBench.Load"/>, the same network
    /// (architecture and seed), per batch the images as a list and each one's boxes and classes (counted from 1) for
    /// <see cref="FasterRcnn.Loss(IReadOnlyList{Tensor}, IReadOnlyList{ValueTuple{Tensor, Tensor}}, Generator?)"/>, SGD
    /// at 0.01 with momentum 0.9 and weight decay 1e-4 (the trainer's optimizer).
    /// </summary>
    private static FasterRcnn Bare(DetectionDataset dataset, FasterRcnnArchitecture architecture, int size, int epochs, int batchSize, int seed, CancellationToken cancellation)
    {
        var data = DetectorTrainingBench.Load(dataset, size);
        torch.manual_seed(seed);
        var network = architecture.Build(torch.CPU);
        var generator = new torch.Generator((ulong)seed);
        using var optimizer = optim.SGD(network.parameters(), 0.01, momentum: 0.9, weight_decay: 1e-4);
        DetectorTrainingBench.Train(data, network, optimizer, (x, batch) =>
        {
            var images = Enumerable.Range(0, batch.Length).Select(k => x[k]).ToArray();
            var targets = batch.Select(image =>
            {
                var objects = torch.tensor(data.Objects[image]).view(-1, 5);
                return (objects[.., 1..5].contiguous(), objects[.., 0].to(ScalarType.Int64) + 1);
            }).ToArray();
            return network.Loss(images, targets, generator).Total;
        }, epochs, batchSize, cancellation);
        return network;
    }
}
