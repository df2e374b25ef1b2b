using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using DeepExtensions.Cli.Commands;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Schedules;
using Microsoft.ML.DeepExtensions.Training;
using Microsoft.ML.DeepExtensions.Vision;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Classification;
using Microsoft.ML.DeepExtensions.Vision.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepExtensions.Cli.Bench;

/// <summary>
/// <c>deepext bench image</c>: the same CNN trained on the same IDX images through the ML.NET
/// pipeline (<c>Cnn</c> trainer in <c>Fit()</c>) and through a bare TorchSharp loop, alternating in
/// one process after a warm-up of both, then scoring through <c>Transform</c> (batched) and
/// <c>PredictionEngine</c> (one image per call). Prints a table and, last on stdout, one JSON line.
/// </summary>
public static class ImageBenchmark
{
    public const string Usage =
        "Usage: deepext bench image [--data DIR] [--arch NAME] [--rows N] [--epochs N] [--batch-size N]\n" +
        "                          [--repeats N] [--device cpu|cuda] [--seed N]\n" +
        "\n" +
        "  --data DIR        IDX folder (default: /usr/share/datasets/fashion-mnist if installed, else\n" +
        "                    samples/data/fashion-mnist-subset).\n" +
        "  --arch NAME       Architecture (default: small-cnn).\n" +
        "  --rows N          Training images used (default: all).\n" +
        "  --epochs N        Epochs per timed run (default: 1).\n" +
        "  --batch-size N    Images per step (default: 128).\n" +
        "  --repeats N       Timed runs per side, alternating (default: 3).\n" +
        "  --device D        cpu or cuda (default: cpu).\n" +
        "  --seed N          Seed (default: 1).";

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            stdout.WriteLine(Usage);
            return ExitCodes.Success;
        }
        var values = ParseArguments(args);
        string data = values.GetValueOrDefault("data") ?? DefaultData();
        string arch = values.GetValueOrDefault("arch") ?? "small-cnn";
        int epochs = Int(values, "epochs", 1), batchSize = Int(values, "batch-size", 128), repeats = Int(values, "repeats", 3), seed = Int(values, "seed", 1);
        int? rowsLimit = values.ContainsKey("rows") ? Int(values, "rows", 0) : null;
        var device = (values.GetValueOrDefault("device") ?? "cpu") switch
        {
            "cpu" => ComputeDevice.Cpu,
            "cuda" or "gpu" => ComputeDevice.Cuda,
            var other => throw CliException.UsageError($"bench image: --device '{other}' is not valid: expected cpu or cuda"),
        };
        var architecture = TrainingArguments.FromRegistry("--arch", () => ImageArchitectures.Get(arch));

        TorchBackend.EnsureStarted();
        var mlContext = new MLContext(seed);
        if (!IdxFolder.IsIdxFolder(data))
            throw CliException.DataError($"bench image: --data '{data}' is not an IDX folder (train-* and t10k-* images and labels)");
        IDataView train = mlContext.Data.LoadIdxFolder(data).TrainSet;
        if (rowsLimit is int limit)
            train = mlContext.Data.TakeRows(train, limit);
        var keyed = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(train).Transform(train);
        keyed = mlContext.Data.Cache(keyed);
        var (pixels, labels, shape, classes) = ReadAll(keyed);
        stderr.WriteLine($"bench: {labels.Length:N0} images {shape}, {classes} classes, {arch}, batch {batchSize}, {TorchBackend.Describe(TorchBackend.ResolveDevice(device, null, null))}, torch threads {torch.get_num_threads()}");

        CnnTrainer.Options Options() => new()
        {
            Architecture = architecture,
            Epochs = epochs,
            BatchSize = BatchSize.Of(batchSize),
            LearningRateSchedule = new ConstantSchedule(),
            EarlyStoppingPatience = 0,
            Seed = seed,
            Device = device,
        };

        stderr.WriteLine("bench: warm-up (1 epoch each side)");
        var warm = Options();
        warm.Epochs = 1;
        mlContext.MulticlassClassification.Trainers.Cnn(warm).Fit(keyed).Dispose();
        Bare(architecture, pixels, labels, shape, classes, 1, batchSize, seed, device, cancellation);

        var pipelineRates = new List<double>();
        var bareRates = new List<double>();
        Microsoft.ML.DeepExtensions.Scoring.NetworkPredictionTransformer? model = null;
        for (int repeat = 1; repeat <= repeats; repeat++)
        {
            model?.Dispose();
            var clock = Stopwatch.StartNew();
            model = mlContext.MulticlassClassification.Trainers.Cnn(Options()).Fit(keyed);
            double pipelineRate = labels.Length * (double)epochs / clock.Elapsed.TotalSeconds;
            double bareRate = Bare(architecture, pixels, labels, shape, classes, epochs, batchSize, seed, device, cancellation);
            pipelineRates.Add(pipelineRate);
            bareRates.Add(bareRate);
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench: run {repeat}: pipeline {pipelineRate:N0} images/s, bare {bareRate:N0} images/s"));
        }

        // Scoring: Transform reads the Score column in batches; PredictionEngine scores one image per call.
        var scoringClock = Stopwatch.StartNew();
        long scored = 0;
        var scoredView = model!.Transform(keyed);
        using (var cursor = scoredView.GetRowCursor(new[] { scoredView.Schema["Score"] }))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(scoredView.Schema["Score"]);
            VBuffer<float> buffer = default;
            while (cursor.MoveNext())
            {
                getter(ref buffer);
                scored++;
            }
        }
        double transformRate = scored / scoringClock.Elapsed.TotalSeconds;
        int engineRows = Math.Min(labels.Length, 2000);
        var engine = mlContext.Model.CreatePredictionEngine<ImageRow, ImagePrediction>(model, inputSchemaDefinition: SchemaFor(shape));
        var row = new ImageRow { Features = new float[shape.Size] };
        scoringClock.Restart();
        for (int i = 0; i < engineRows; i++)
        {
            Array.Copy(pixels, (long)i * shape.Size, row.Features, 0, shape.Size);
            engine.Predict(row);
        }
        double engineRate = engineRows / scoringClock.Elapsed.TotalSeconds;
        model.Dispose();

        double pipelineMedian = BenchStats.Median(pipelineRates), bareMedian = BenchStats.Median(bareRates);
        double ratio = pipelineMedian / bareMedian;
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"training   pipeline {pipelineMedian,10:N0} images/s   bare TorchSharp {bareMedian,10:N0} images/s   ratio {ratio:F3} (target >= {TabularBenchmark.TargetRatio})"));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"scoring    Transform (batched) {transformRate,10:N0} images/s   PredictionEngine {engineRate,10:N0} images/s   ratio {transformRate / engineRate:F1}"));
        var json = new JsonObject
        {
            ["Benchmark"] = "image",
            ["Architecture"] = arch,
            ["Images"] = labels.Length,
            ["Device"] = device.ToString(),
            ["PipelineImagesPerSecond"] = Math.Round(pipelineMedian, 1),
            ["BareImagesPerSecond"] = Math.Round(bareMedian, 1),
            ["Ratio"] = Math.Round(ratio, 4),
            ["TransformImagesPerSecond"] = Math.Round(transformRate, 1),
            ["PredictionEngineImagesPerSecond"] = Math.Round(engineRate, 1),
        };
        stdout.WriteLine(json.ToJsonString());
        return ExitCodes.Success;
    }

    /// <summary>
    /// What a competent TorchSharp user writes: the same network built with the same seed, the data
    /// as two tensors built once, per epoch a <c>randperm</c>, per batch <c>index_select</c> inside a
    /// dispose scope, Adam at 0.001, cross-entropy. Returns images/s over the whole run.
    /// </summary>
    private static double Bare(ImageArchitecture architecture, float[] pixels, long[] labels, ImageShape shape, int classes,
        int epochs, int batchSize, int seed, ComputeDevice computeDevice, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        torch.manual_seed(seed);
        var device = TorchBackend.ResolveDevice(computeDevice, null, null);
        using var network = new ImageNetwork(architecture, shape.ToTensorShape(), classes).Build();
        network.to(device);
        using var optimizer = optim.Adam(network.parameters(), 1e-3);
        long rows = labels.Length;
        using var x = torch.from_array(pixels).view(rows, shape.Channels, shape.Height, shape.Width).to(device);
        using var y = torch.tensor(labels, device: device);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            network.train();
            using var order = torch.randperm(rows, device: device);
            for (long start = 0; start < rows; start += batchSize)
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = torch.NewDisposeScope();
                long count = Math.Min(batchSize, rows - start);
                var index = order.narrow(0, start, count);
                optimizer.zero_grad();
                var loss = nn.functional.cross_entropy(network.forward(x.index_select(0, index)), y.index_select(0, index));
                loss.backward();
                optimizer.step();
                if (device.type == DeviceType.CPU)
                    loss.item<float>(); // read per batch on the CPU, as the pipeline's loop does
            }
        }
        if (device.type != DeviceType.CPU)
            torch.cuda.synchronize();
        return rows * (double)epochs / clock.Elapsed.TotalSeconds;
    }

    private static (float[] Pixels, long[] Labels, ImageShape Shape, int Classes) ReadAll(IDataView keyed)
    {
        var column = keyed.Schema["Features"];
        if (!ImageShapeAnnotation.TryRead(column, out int c, out int h, out int w))
            throw CliException.DataError("bench image: the IDX features have no image shape annotation");
        var shape = new ImageShape(c, h, w);
        int classes = (int)((KeyDataViewType)keyed.Schema["Label"].Type).Count;
        var pixels = new List<float>();
        var labels = new List<long>();
        using var cursor = keyed.GetRowCursor(new[] { column, keyed.Schema["Label"] });
        var features = cursor.GetGetter<VBuffer<float>>(column);
        var label = cursor.GetGetter<uint>(keyed.Schema["Label"]);
        VBuffer<float> buffer = default;
        uint key = 0;
        while (cursor.MoveNext())
        {
            features(ref buffer);
            label(ref key);
            pixels.AddRange(buffer.DenseValues());
            labels.Add(key - 1);
        }
        return (pixels.ToArray(), labels.ToArray(), shape, classes);
    }

    private static SchemaDefinition SchemaFor(ImageShape shape)
    {
        var schema = SchemaDefinition.Create(typeof(ImageRow));
        schema[nameof(ImageRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, (int)shape.Size);
        return schema;
    }

    private static string DefaultData() =>
        Directory.Exists("/usr/share/datasets/fashion-mnist") ? "/usr/share/datasets/fashion-mnist" : Path.Combine("samples", "data", "fashion-mnist-subset");

    private static Dictionary<string, string> ParseArguments(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>();
        for (int i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
                throw CliException.UsageError($"bench image: unexpected '{args[i]}' (see 'deepext bench image --help')");
            values[args[i][2..]] = args[++i];
        }
        var unknown = values.Keys.Except(new[] { "data", "arch", "rows", "epochs", "batch-size", "repeats", "device", "seed" }).ToArray();
        if (unknown.Length > 0)
            throw CliException.UsageError($"bench image: unknown option --{unknown[0]} (see 'deepext bench image --help')");
        return values;
    }

    private static int Int(Dictionary<string, string> values, string name, int fallback) =>
        values.TryGetValue(name, out var text) ? TrainingArguments.ParseInt(text, "--" + name, minimum: 1) : fallback;

    private sealed class ImageRow
    {
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    private sealed class ImagePrediction
    {
        public float[] Score { get; set; } = Array.Empty<float>();
    }
}
