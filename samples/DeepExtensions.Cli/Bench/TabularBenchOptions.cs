using System.Globalization;
using DeepExtensions.Cli.Commands;

namespace DeepExtensions.Cli.Bench;

/// <summary>What a tabular benchmark learns: the label kind, loss and output size follow from it.</summary>
public enum TabularBenchTask
{
    Binary,
    Multiclass,
    Regression,
}

/// <summary>The options of <c>deepext bench tabular</c>, parsed by hand like the other commands.</summary>
public sealed class TabularBenchOptions
{
    public const string Usage =
        "Usage: deepext bench tabular [OPTIONS]\n" +
        "\n" +
        "Trains the same MLP on the same synthetic in-memory data twice per repeat, alternating: through\n" +
        "the ML.NET pipeline (mlContext.<task>.Trainers.Mlp(...).Fit(IDataView)) and through a hand-written\n" +
        "TorchSharp loop on tensors. Prints rows/s of both, the ratio pipeline/bare (target >= 0.9), the\n" +
        "steady-state per-epoch ratio, peak memory, and scoring throughput (Transform vs PredictionEngine).\n" +
        "The table goes to stdout, progress to stderr; the last stdout line is one JSON object.\n" +
        "\n" +
        "Options:\n" +
        "  --task binary|multiclass|regression   What to learn (default binary).\n" +
        "  --rows N            Training rows (default 100000).\n" +
        "  --features N        Float features per row (default 32).\n" +
        "  --classes N         Classes for --task multiclass (default 4).\n" +
        "  --epochs N          Epochs per training run (default 5).\n" +
        "  --batch-size N      Rows per gradient step (default 256).\n" +
        "  --hidden N,N,...    Hidden layer sizes (default 64,32).\n" +
        "  --learning-rate X   Adam learning rate (default 0.001).\n" +
        "  --repeats N         Timed runs of each side, alternating (default 3); medians are reported.\n" +
        "  --threads N         torch.set_num_threads for both sides (default: the processor count).\n" +
        "  --device cpu|cuda   Where both sides train and score (default cpu). For cuda, publish deepext with\n" +
        "                      -p:DeepExtensionsLibTorch=external and set DEEPEXT_LIBTORCH_DIR to a CUDA LibTorch.\n" +
        "  --scoring-rows N    Rows PredictionEngine scores one by one per repeat (default 20000).\n" +
        "  --row-count known|unknown  Whether the IDataView reports its row count (default known, as a list;\n" +
        "                      unknown streams the rows, as a text file does).\n" +
        "  --no-scoring        Skip the scoring benchmark.\n" +
        "  --seed N            Seed of the data, the weights and the shuffling (default 42).\n" +
        "\n" +
        "Example:\n" +
        "  deepext bench tabular --rows 100000 --features 32 --epochs 5 --batch-size 256 --hidden 64,32 --repeats 3";

    private static readonly string[] ValueOptions =
        { "task", "row-count", "rows", "features", "classes", "epochs", "batch-size", "hidden", "learning-rate", "repeats", "threads", "scoring-rows", "seed", "device" };

    private static readonly string[] FlagOptions = { "no-scoring" };

    public bool Help { get; private init; }

    public TabularBenchTask Task { get; private set; } = TabularBenchTask.Binary;

    public int Rows { get; private set; } = 100_000;

    public int Features { get; private set; } = 32;

    public int Classes { get; private set; } = 4;

    public int Epochs { get; private set; } = 5;

    public int BatchSize { get; private set; } = 256;

    public int[] Hidden { get; private set; } = { 64, 32 };

    public double LearningRate { get; private set; } = 0.001;

    public int Repeats { get; private set; } = 3;

    public int Threads { get; private set; } = Environment.ProcessorCount;

    public Microsoft.ML.DeepExtensions.Backend.ComputeDevice Device { get; private set; } = Microsoft.ML.DeepExtensions.Backend.ComputeDevice.Cpu;

    public int ScoringRows { get; private set; } = 20_000;

    public bool Scoring { get; private set; } = true;

    /// <summary>Whether the pipeline's <see cref="Microsoft.ML.IDataView"/> reports its row count.</summary>
    public bool RowCountKnown { get; private set; } = true;

    public int Seed { get; private set; } = 42;

    /// <summary>Network outputs: the class count for multiclass, else 1.</summary>
    public int Outputs => Task == TabularBenchTask.Multiclass ? Classes : 1;

    public string TaskName => Task.ToString().ToLowerInvariant();

    public static TabularBenchOptions Parse(IReadOnlyList<string> args)
    {
        const string command = "bench tabular";
        if (args.Any(a => a is "--help" or "-h"))
            return new TabularBenchOptions { Help = true };

        var options = new TabularBenchOptions();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
                throw CliException.UsageError($"{command}: unexpected argument '{arg}' (see 'deepext bench tabular --help')");
            string name = arg[2..];
            string? value = null;
            int equals = name.IndexOf('=');
            if (equals >= 0)
            {
                value = name[(equals + 1)..];
                name = name[..equals];
            }
            if (!seen.Add(name))
                throw CliException.UsageError($"{command}: --{name} is given more than once");
            if (FlagOptions.Contains(name))
            {
                if (value is not null)
                    throw CliException.UsageError($"{command}: --{name} takes no value");
                options.Scoring = false;
                continue;
            }
            if (!ValueOptions.Contains(name))
                throw CliException.UsageError($"{command}: unknown option '--{name}' (see 'deepext bench tabular --help')");
            if (value is null)
            {
                if (i + 1 >= args.Count)
                    throw CliException.UsageError($"{command}: --{name} needs a value");
                value = args[++i];
            }

            switch (name)
            {
                case "task":
                    options.Task = value.ToLowerInvariant() switch
                    {
                        "binary" => TabularBenchTask.Binary,
                        "multiclass" => TabularBenchTask.Multiclass,
                        "regression" => TabularBenchTask.Regression,
                        _ => throw CliException.UsageError($"{command}: --task must be binary, multiclass or regression, got '{value}'"),
                    };
                    break;
                case "row-count":
                    options.RowCountKnown = value.ToLowerInvariant() switch
                    {
                        "known" => true,
                        "unknown" => false,
                        _ => throw CliException.UsageError($"{command}: --row-count must be known or unknown, got '{value}'"),
                    };
                    break;
                case "rows": options.Rows = Positive(name, value); break;
                case "features": options.Features = Positive(name, value); break;
                case "classes":
                    options.Classes = Positive(name, value);
                    if (options.Classes < 2)
                        throw CliException.UsageError($"{command}: --classes must be at least 2, got {value}");
                    break;
                case "epochs": options.Epochs = Positive(name, value); break;
                case "batch-size": options.BatchSize = Positive(name, value); break;
                case "hidden":
                    options.Hidden = value.Length == 0
                        ? Array.Empty<int>()
                        : value.Split(',').Select(part => Positive(name, part.Trim())).ToArray();
                    break;
                case "learning-rate":
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double rate) || !(rate > 0) || double.IsInfinity(rate))
                        throw CliException.UsageError($"{command}: --learning-rate must be a positive number, got '{value}'");
                    options.LearningRate = rate;
                    break;
                case "repeats": options.Repeats = Positive(name, value); break;
                case "threads": options.Threads = Positive(name, value); break;
                case "device":
                    options.Device = value.ToLowerInvariant() switch
                    {
                        "cpu" => Microsoft.ML.DeepExtensions.Backend.ComputeDevice.Cpu,
                        "cuda" or "gpu" => Microsoft.ML.DeepExtensions.Backend.ComputeDevice.Cuda,
                        _ => throw CliException.UsageError($"{command}: --device must be cpu or cuda, got '{value}'"),
                    };
                    break;
                case "scoring-rows": options.ScoringRows = Positive(name, value); break;
                case "seed":
                    if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed))
                        throw CliException.UsageError($"{command}: --seed must be an integer, got '{value}'");
                    options.Seed = seed;
                    break;
            }
        }

        if ((long)options.Rows * options.Features > int.MaxValue)
            throw CliException.UsageError($"{command}: --rows × --features must stay below {int.MaxValue:N0} values, got {(long)options.Rows * options.Features:N0}");
        return options;

        static int Positive(string option, string text) =>
            int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0
                ? n
                : throw CliException.UsageError($"{command}: --{option} must be a positive integer, got '{text}'");
    }
}
