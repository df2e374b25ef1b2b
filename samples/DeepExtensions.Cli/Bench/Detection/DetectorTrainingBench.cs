using System.Diagnostics;
using System.Globalization;
using DeepExtensions.Cli.Commands;
using DeepExtensions.Cli.Pipelines;
using Microsoft.ML;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Schedules;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Data.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.DeepExtensions.Vision.Detection.Training;
using Microsoft.ML.DeepExtensions.Vision.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepExtensions.Cli.Bench.Detection;

/// <summary>
/// What the detector training benchmarks (<c>bench yolo-training</c>, <c>bench rcnn-training</c>) share: the bare side's
/// data (every image decoded and letterboxed into one byte tensor, its boxes mapped with it), the bare training loop a
/// competent TorchSharp user writes around a network and its loss, the pipeline and bare runs alternated after a warm-up,
/// and reading every detection column of <c>Transform</c>'s rows.
/// </summary>
internal static class DetectorTrainingBench
{
    /// <summary>The pipeline must reach this share of the bare loop's speed (issues 9 and 10).</summary>
    public const double TargetRatio = 0.9;

    /// <summary>What both benchmarks read from their options: the data (its first images) and the run's numbers.</summary>
    public sealed record Settings(DetectionDataset Dataset, int ImageSize, int Epochs, int BatchSize, int Repeats, int Seed);

    /// <summary>The options both benchmarks take, around <paramref name="own"/> (listed after the data's).</summary>
    public static IReadOnlyList<CliOption> Options(int defaultImages, int defaultBatchSize, params CliOption[] own) =>
    [
        new("data", "DATA", "Detection data (default: samples/data/detection-sample/data.yaml)."),
        new("images", "N", $"Train on the first N images of DATA (default: {defaultImages}{(defaultImages == 0 ? ", all" : "; 0 for all")})."),
        .. own,
        new("image-size", "N", "Network input side, a multiple of 32 (default: 160)."),
        new("epochs", "N", "Epochs per timed run (default: 1)."),
        new("batch-size", "N", $"Images per step (default: {defaultBatchSize}, the trainer's)."),
        new("repeats", "N", "Timed runs per side, alternating (default: 3)."),
        new("seed", "N", "Seed (default: 1)."),
    ];

    /// <summary>Reads the options of <see cref="Options"/>; opens the data.</summary>
    public static Settings Read(Arguments arguments, string command, int defaultImages, int defaultBatchSize)
    {
        string dataPath = arguments.Get("data") ?? Path.Combine("samples", "data", "detection-sample", "data.yaml");
        int limit = arguments.Get("images") is { } text ? TrainingArguments.ParseInt(text, "--images", minimum: 0) : defaultImages;
        int size = MicroBenchmark.PositiveInt(arguments, command, "image-size", 160);
        if (size % 32 != 0)
            throw CliException.UsageError($"{command}: --image-size '{size}' is not valid: expected a multiple of 32 (the network's largest stride)");
        var settings = new Settings(FirstImages(DetectionDataSet.Open(dataPath, "--data"), limit), size,
            MicroBenchmark.PositiveInt(arguments, command, "epochs", 1), MicroBenchmark.PositiveInt(arguments, command, "batch-size", defaultBatchSize),
            MicroBenchmark.PositiveInt(arguments, command, "repeats", 3), MicroBenchmark.PositiveInt(arguments, command, "seed", 1));
        return settings;
    }

    /// <summary>The pipeline side's trainer options, as the bare side trains: no augmentation, a constant learning rate, no early stopping, the CPU.</summary>
    public static TOptions Configure<TOptions>(TOptions options, Settings settings, int epochs)
        where TOptions : DetectionTrainerOptions
    {
        options.ImageSize = settings.ImageSize;
        options.Augmentation = DetectionAugmentationOptions.None;
        options.Epochs = epochs;
        options.BatchSize = Microsoft.ML.DeepExtensions.Training.BatchSize.Of(settings.BatchSize);
        options.LearningRateSchedule = new ConstantSchedule();
        options.EarlyStoppingPatience = 0;
        options.Seed = settings.Seed;
        options.Device = ComputeDevice.Cpu;
        return options;
    }

    /// <summary>Images letterboxed to <c>Size</c>, RGB planes as bytes; per image its objects as rows of class, x0, y0, x1, y1 (network pixels).</summary>
    public sealed record LetterboxedImages(byte[] Pixels, float[][] Objects, int Count, int Size);

    /// <summary>The first <paramref name="limit"/> images of <paramref name="dataset"/> (all of them for 0 or more than it has).</summary>
    private static DetectionDataset FirstImages(DetectionDataset dataset, int limit) =>
        limit == 0 || limit >= dataset.Images.Count ? dataset : new DetectionDataset(dataset.ClassNames, dataset.Images.Take(limit));

    /// <summary>Decodes and letterboxes every image of <paramref name="dataset"/>, mapping its boxes (the bare side's own data path).</summary>
    public static LetterboxedImages Load(DetectionDataset dataset, int size)
    {
        int n = dataset.Images.Count, plane = 3 * size * size;
        var pixels = new byte[(long)n * plane];
        var objects = new float[n][];
        for (int i = 0; i < n; i++)
        {
            var entry = dataset.Images[i];
            using var image = MLImage.CreateFromFile(entry.Path);
            var mapping = ImageResizeMapping.Letterbox(image.Width, image.Height, size, size);
            using (var letterboxed = mapping.Apply(image))
                ImagePlanes.WriteRgbBytes(letterboxed, pixels.AsSpan(i * plane, plane));
            objects[i] = entry.Objects.SelectMany(o => new[]
            {
                o.ClassIndex,
                (float)(o.X0 * mapping.ScaleX + mapping.PadLeft), (float)(o.Y0 * mapping.ScaleY + mapping.PadTop),
                (float)(o.X1 * mapping.ScaleX + mapping.PadLeft), (float)(o.Y1 * mapping.ScaleY + mapping.PadTop),
            }).ToArray();
        }
        return new LetterboxedImages(pixels, objects, n, size);
    }

    /// <summary>
    /// The bare loop: per epoch a <c>randperm</c>; per batch, inside a dispose scope, <c>index_select</c> of the images
    /// (floats in [0, 1]), <paramref name="loss"/> of the batch (given the images and the indices of its rows in
    /// <paramref name="data"/>), backward, the optimizer's step, and the loss read back as a training loop logs it.
    /// </summary>
    public static void Train(LetterboxedImages data, nn.Module network, optim.Optimizer optimizer, Func<Tensor, long[], Tensor> loss,
        int epochs, int batchSize, CancellationToken cancellation)
    {
        using var images = torch.from_array(data.Pixels).view(data.Count, 3, data.Size, data.Size);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            network.train();
            var order = torch.randperm(data.Count).data<long>().ToArray();
            for (int start = 0; start < data.Count; start += batchSize)
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = torch.NewDisposeScope();
                var batch = order.Skip(start).Take(batchSize).ToArray();
                var x = images.index_select(0, torch.tensor(batch)).to_type(ScalarType.Float32).div_(255f);
                optimizer.zero_grad();
                var total = loss(x, batch);
                total.backward();
                optimizer.step();
                total.item<float>();
            }
        }
    }

    /// <summary>
    /// Warm-up (one epoch of each side), then <paramref name="repeats"/> runs of <paramref name="epochs"/> epochs, pipeline
    /// then bare, each timed from the start of its data path (the pipeline's <c>Fit</c> reads its images; the bare side
    /// decodes them). Returns both sides' images/s per run and the last fitted model (the caller disposes it).
    /// </summary>
    public static (List<double> Pipeline, List<double> Bare, TModel Model) Alternate<TModel>(int images, int epochs, int repeats,
        Func<int, TModel> fit, Func<int, IDisposable> bare, TextWriter stderr)
        where TModel : class, IDisposable
    {
        stderr.WriteLine("bench: warm-up (1 epoch each side)");
        fit(1).Dispose();
        bare(1).Dispose();
        var pipelineRates = new List<double>();
        var bareRates = new List<double>();
        TModel? model = null;
        for (int repeat = 1; repeat <= repeats; repeat++)
        {
            model?.Dispose();
            var clock = Stopwatch.StartNew();
            model = fit(epochs);
            double pipelineRate = images * (double)epochs / clock.Elapsed.TotalSeconds;
            clock.Restart();
            bare(epochs).Dispose();
            double bareRate = images * (double)epochs / clock.Elapsed.TotalSeconds;
            pipelineRates.Add(pipelineRate);
            bareRates.Add(bareRate);
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench: run {repeat}: pipeline {pipelineRate:N1} images/s, bare {bareRate:N1} images/s"));
        }
        return (pipelineRates, bareRates, model!);
    }

    /// <summary>The training line of the report: both medians and their ratio against <see cref="TargetRatio"/>.</summary>
    public static string TrainingLine(double pipeline, double bare) => string.Create(CultureInfo.InvariantCulture,
        $"training   pipeline {pipeline,8:N1} images/s   bare TorchSharp {bare,8:N1} images/s   ratio {pipeline / bare:F3} (target >= {TargetRatio})");

    /// <summary>Reads every detection column of <c>Transform</c>'s rows, as an application would.</summary>
    public static int ScoreThroughTransform(ObjectDetectionTransformer model, IDataView view)
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
}
