using System.Diagnostics;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Losses;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Training;
using Microsoft.ML.DeepExtensions.Vision.Detection.Training;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;

/// <summary>
/// Trains an R-CNN (Girshick, Donahue, Darrell and Malik, "Rich feature hierarchies for accurate object detection and
/// semantic segmentation", CVPR 2014) inside <c>Fit()</c>, on the CPU or a CUDA GPU. Created through
/// <c>mlContext.ObjectDetection().Trainers.Rcnn(...)</c>; fits a <see cref="RegionCnnDetector"/>.
/// </summary>
/// <remarks>
/// <para>R-CNN is trained in stages, not end to end, so it does not train on the detection base's per-batch
/// <c>TrainableDetector</c> loss. It shares the rest of the detection path: the columns and their checks, the data path
/// (<c>DetectionBatchSource</c>: images letterboxed to <c>ImageSize</c>, objects mapped), the one <c>TrainingLoop</c> for every
/// learnt weight, and the <see cref="ObjectDetectionTransformer"/> base. The stages, each in a file of its own:</para>
/// <list type="number">
/// <item>proposals of every training image from selective search (<see cref="RegionProposer"/>, fast mode, the first
/// <c>MaxProposals</c>);</item>
/// <item>the regions (ground-truth boxes and proposals) labelled by IoU (<see cref="RegionLabelling"/>: fine-tuning 0.5,
/// SVM negatives 0.3, box regression 0.6);</item>
/// <item>the CNN (<see cref="RegionFeatureNetwork"/>, any image architecture of the project, from random weights or
/// <c>InitialWeights</c>) fine-tuned to tell the classes and background apart on warped regions
/// (<see cref="RegionWarp"/>, <see cref="WarpedRegionBatchSource"/>: 25% object regions per batch), through the one loop
/// with softmax cross-entropy; <c>Epochs</c>, <c>BatchSize</c> (regions), <c>Optimizer</c> and the schedule are this stage's;</item>
/// <item>the features of every region, cached in memory within <c>FeatureCacheMegabytes</c> (<see cref="RegionFeatureCache"/>);</item>
/// <item>one linear SVM per class with hard-negative mining (<see cref="RegionSvmTraining"/>, the hinge loss, the one loop);</item>
/// <item>one ridge box regressor per class (<see cref="RidgeBoxRegressor"/>, closed form, the <c>BoxCoder</c> offsets).</item>
/// </list>
/// <para>Progress: each stage is logged to the MLContext's log; the fine-tuning epochs also go to <c>Progress</c> and
/// <c>BatchProgress</c> and make <see cref="TrainingHistory"/>. Cancellation is checked between images and batches.</para>
/// </remarks>
public sealed partial class RegionCnnTrainer : IEstimator<RegionCnnDetector>
{
    private readonly IHost _host;

    internal RegionCnnTrainer(IHostEnvironment env, Options options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.ValidationData is not null)
            throw new ArgumentOutOfRangeException(nameof(Options.ValidationData), "ValidationData is not used by the R-CNN trainer (its stages learn from the training images only); leave it null and evaluate the fitted detector instead.");
        _host = env.Register(nameof(RegionCnnTrainer));
        TrainerOptions = options;
        DeepExtensionsRegistration.Register(env);
    }

    /// <summary>The options this trainer was created with.</summary>
    public Options TrainerOptions { get; }

    /// <summary>How the CNN's fine-tuning went in the last <see cref="Fit"/>: one report per epoch (empty without fine-tuning).</summary>
    public IReadOnlyList<TrainingProgress> TrainingHistory { get; private set; } = Array.Empty<TrainingProgress>();

    public RegionCnnDetector Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var options = TrainerOptions;
        var columns = DetectionDataColumns.Bind(input.Schema, options.ImageColumnName, options.LabelColumnName, options.BoxColumnName, "training");
        int imageSize = options.ImageSize ?? Math.Max(DetectionTrainer<Options, RegionCnnDetector>.EstimateImageSize(input, columns.Image), options.WarpSize);
        int classCount = columns.ClassCount;

        using var channel = _host.Start("Training");
        var (device, seed, shuffleRandom, cacheBytes) = TrainingStart.Begin(options, _host, channel);
        var data = new DetectionBatchSource(input, columns, imageSize, torch.CPU, cacheBytes, "training");
        data.Prepare(options.CancellationToken, checkImage: RegionImageSizes.AtLeast(columns.Image, options.WarpSize));
        if (!data.IsCached)
            throw new InvalidOperationException(
                $"R-CNN keeps the letterboxed training images in memory: {data.RowCount:N0} images of {imageSize}x{imageSize} need {data.RowCount * 3L * imageSize * imageSize / (1024 * 1024):N0} MB, above CacheLimitMegabytes ({options.CacheLimitMegabytes}). Raise CacheLimitMegabytes or lower ImageSize.");
        if (data.SkippedRows > 0)
            channel.Warning(MessageSensitivity.None, $"Skipped {data.SkippedRows} training rows with a missing image.");
        var examples = data.Examples(options.CancellationToken).ToList();
        channel.Info(MessageSensitivity.None,
            $"Training an R-CNN ({options.Backbone.Name} on {options.WarpSize}x{options.WarpSize} regions) on {examples.Count} images ({data.ObjectCount} objects, {classCount} classes) letterboxed to {imageSize}x{imageSize} on {TorchBackend.Describe(device)}.");

        var labelled = ProposeAndLabel(examples, imageSize, classCount, channel);
        using var images = ImageTensor(examples, imageSize);
        var warp = new RegionWarp(options.WarpSize, options.EffectiveContextPadding);
        var network = RegionFeatureNetwork.Create(options.Backbone, options.WarpSize, classCount, options.InitialWeights, message => channel.Info(MessageSensitivity.None, message));
        try
        {
            network.Module.to(device);
            if (options.FineTune)
                FineTune(network, images, labelled, warp, device, seed, shuffleRandom, cacheBytes, channel);
            network.Module.eval();

            var clock = Stopwatch.StartNew();
            int step = Math.Max(1, labelled.Count / 10);
            using var cache = RegionFeatureCache.Build(images, labelled, warp, network, device, classCount, options.SvmNegativeIouThreshold,
                options.FeatureCacheMegabytes * 1024L * 1024L, seed, done =>
                {
                    if (done % step == 0 || done == labelled.Count)
                        channel.Info(MessageSensitivity.None, $"Region features: {done}/{labelled.Count} images ({clock.Elapsed.TotalSeconds:F0} s).");
                }, options.CancellationToken);
            channel.Info(MessageSensitivity.None, $"Region features: {cache.Count:N0} regions of {network.FeatureSize} values cached{(cache.DroppedNegatives > 0 ? $", {cache.DroppedNegatives:N0} background regions left out to stay within FeatureCacheMegabytes ({options.FeatureCacheMegabytes})" : "")}.");

            var svms = RegionSvmTraining.Train(cache, classCount, options, seed, channel);
            var regressor = RidgeBoxRegressor.Fit(cache.Features, cache.Boxes, cache.RegressionTargets, cache.RegressionClasses, classCount, options.BoxRegressionRidge, out var pairs);
            channel.Info(MessageSensitivity.None, $"Box regression: {pairs.Sum():N0} regions at IoU >= {options.BoxRegressionIouThreshold} over {classCount} classes.");
            for (int c = 0; c < classCount; c++)
            {
                if (pairs[c] == 0)
                    channel.Warning(MessageSensitivity.None, $"Class '{columns.ClassNames[c]}' has no region at IoU >= {options.BoxRegressionIouThreshold} (BoxRegressionIouThreshold): its boxes are not regressed.");
            }

            var settings = new RegionCnnSettings(imageSize, options.WarpSize, options.EffectiveContextPadding, options.ProposalMode, options.MaxProposals,
                options.MinProposalSize, options.ConfidenceThreshold, options.IouThreshold, options.MaxDetections);
            var model = new RegionCnnModel(settings, network, svms.Weights, svms.Biases, regressor);
            return new RegionCnnDetector(_host, model, options.ImageColumnName, new DetectionColumns(columns.ClassNames), options.ScoringBatchSize,
                device, options.Device, options.CudaDeviceIndex);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Stages 1 and 2: every image's proposals, labelled; refuses data where no proposal overlaps any object.</summary>
    private List<LabelledRegions> ProposeAndLabel(List<DetectionExample> examples, int imageSize, int classCount, IChannel channel)
    {
        var options = TrainerOptions;
        var proposer = new RegionProposer(options.ProposalMode, options.MaxProposals, options.MinProposalSize);
        var clock = Stopwatch.StartNew();
        int step = Math.Max(1, examples.Count / 10);
        var proposals = proposer.Propose(examples.Select(e => e.Pixels).ToArray(), imageSize, options.CancellationToken, done =>
        {
            if (done % step == 0 || done == examples.Count)
                channel.Info(MessageSensitivity.None, $"Selective search ({options.ProposalMode}): {done}/{examples.Count} images ({clock.Elapsed.TotalSeconds:F0} s).");
        });
        var labelling = new RegionLabelling(classCount, options.FineTuneIouThreshold, options.BoxRegressionIouThreshold);
        var labelled = new List<LabelledRegions>(examples.Count);
        for (int i = 0; i < examples.Count; i++)
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            labelled.Add(labelling.Label(i, examples[i].Boxes, examples[i].Classes, proposals[i]));
        }
        channel.Info(MessageSensitivity.None,
            $"Proposals: {proposals.Sum(p => p.Length / 4):N0} ({proposals.Average(p => p.Length / 4.0):F0} per image), {labelled.Sum(l => l.OverlappingProposals):N0} at IoU >= {options.FineTuneIouThreshold} with an object.");
        RegionOverlapCheck.Check(labelled, options.FineTuneIouThreshold, options.MaxProposals, options.ProposalMode, channel);
        return labelled;
    }

    /// <summary>Stage 3: fine-tunes the CNN on warped regions through the one training loop.</summary>
    private void FineTune(RegionFeatureNetwork network, Tensor images, List<LabelledRegions> labelled, RegionWarp warp, Device device, int seed, Random shuffleRandom, long cacheBytes, IChannel channel)
    {
        var options = TrainerOptions;
        var clock = Stopwatch.StartNew();
        using var regions = new WarpedRegionBatchSource(images, labelled, warp, device, options.FineTunePositiveFraction, seed, cacheBytes);
        channel.Info(MessageSensitivity.None,
            $"Fine-tuning {network.Definition}: {regions.PositiveCount:N0} object and {regions.BackgroundCount:N0} background regions{(regions.IsPrewarped ? $" (warped once in {clock.Elapsed.TotalSeconds:F0} s, kept as bytes)" : ", warped per batch")}, {regions.RowCount:N0} warped regions per epoch.");
        var objective = new SupervisedObjective(network.Module, PredictionTask.MulticlassClassification, new SoftmaxCrossEntropyLoss(), null, null);
        var summary = TrainingLoop.Run(network.Module, objective, options, regions, validate: false, shuffleRandom, channel);
        TrainingHistory = summary.History;
    }

    /// <summary><c>[N, 3, S, S]</c> bytes: the letterboxed images, on the CPU.</summary>
    private static Tensor ImageTensor(List<DetectionExample> examples, int imageSize)
    {
        int plane = 3 * imageSize * imageSize;
        var pixels = new byte[(long)examples.Count * plane];
        for (int i = 0; i < examples.Count; i++)
            examples[i].Pixels.CopyTo(pixels, (long)i * plane);
        return torch.tensor(pixels, new long[] { examples.Count, 3, imageSize, imageSize });
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return DetectionTrainer<Options, RegionCnnDetector>.OutputSchema(inputSchema, TrainerOptions, new DetectionColumns(new[] { "class" }));
    }
}
