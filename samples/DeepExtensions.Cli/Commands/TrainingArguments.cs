using System.Globalization;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Training;
using LossRegistry = Microsoft.ML.DeepExtensions.Losses.Losses;
using OptimizerRegistry = Microsoft.ML.DeepExtensions.Optimizers.Optimizers;
using ScheduleRegistry = Microsoft.ML.DeepExtensions.Schedules.Schedules;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// The training options every <c>deepext train</c> task shares (loss, optimizer, learning rate,
/// schedule, epochs, batch size, seed, device), parsed once onto any trainer's
/// <see cref="DeepTrainerOptions"/>.
/// </summary>
public static class TrainingArguments
{
    public const string DefaultOptimizer = "adam";
    public const int DefaultSeed = 1;

    /// <summary>The shared options; <paramref name="defaults"/> describes each default in the help text.</summary>
    public static IReadOnlyList<CliOption> Options(Defaults defaults) => new CliOption[]
    {
        new("loss", "NAME", "Loss: " + string.Join(", ", LossRegistry.Names) + $" (default: {defaults.Loss})."),
        new("optimizer", "NAME", "Optimizer: " + string.Join(", ", OptimizerRegistry.Names) + $" (default: {DefaultOptimizer})."),
        new("learning-rate", "RATE", $"The optimizer's learning rate (default: {defaults.LearningRate})."),
        new("schedule", "NAME", "Learning-rate schedule: " + string.Join(", ", ScheduleRegistry.Names) + $" (default: {defaults.Schedule})."),
        new("epochs", "N", $"The most passes over the data (default: {defaults.Epochs})."),
        new("time-limit", "MINUTES|none", $"A budget for training: after each epoch, when the epochs would not fit at the mean epoch time so far, training is shortened to those that do and the schedule stretched over them (default: {defaults.TimeLimit})."),
        new("batch-size", "auto|all|1|N", $"Rows per gradient step: auto = min(200, rows) as scikit-learn, all = batch gradient descent, 1 = stochastic (default: {defaults.BatchSize})."),
        new("seed", "N", $"Seed for initialisation and shuffling (default: {DefaultSeed})."),
        new("device", "auto|cpu|cuda", "Where to train (default: auto, a CUDA GPU when usable)."),
    };

    /// <summary>How a task's defaults read in its help text.</summary>
    public sealed record Defaults(string Loss, string Schedule, string Epochs, string BatchSize, string LearningRate = "the optimizer's own, 0.001 for adam", string TimeLimit = "none");

    public static int Seed(Arguments arguments) =>
        arguments.Get("seed") is { } seedText ? ParseInt(seedText, "--seed", minimum: int.MinValue) : DefaultSeed;

    /// <summary>Sets the shared options that the command line names; the others keep the trainer's defaults.</summary>
    public static void Apply(Arguments arguments, DeepTrainerOptions options)
    {
        options.Seed = Seed(arguments);
        if (arguments.Get("loss") is { } loss)
            options.Loss = FromRegistry("--loss", () => LossRegistry.Get(loss));
        double? learningRate = arguments.Get("learning-rate") is { } rate ? ParsePositive(rate, "--learning-rate") : null;
        if (arguments.Get("optimizer") is { } optimizer || learningRate is not null)
        {
            string spec = arguments.Get("optimizer") ?? DefaultOptimizer;
            options.Optimizer = FromRegistry("--optimizer", () => OptimizerRegistry.Get(spec, learningRate));
        }
        if (arguments.Get("schedule") is { } schedule)
            options.LearningRateSchedule = FromRegistry("--schedule", () => ScheduleRegistry.Get(schedule));
        if (arguments.Get("epochs") is { } epochs)
            options.Epochs = ParseInt(epochs, "--epochs", minimum: 1);
        if (arguments.Get("time-limit") is { } timeLimit)
        {
            if (string.Equals(timeLimit, "none", StringComparison.OrdinalIgnoreCase))
            {
                options.TimeLimit = null;
            }
            else
            {
                double minutes = ParsePositive(timeLimit, "--time-limit");
                if (minutes > 1e7)
                    throw CliException.UsageError($"--time-limit '{timeLimit}' is not valid: expected minutes, at most 1e7 (or none)");
                options.TimeLimit = TimeSpan.FromMinutes(minutes);
            }
        }
        if (arguments.Get("batch-size") is { } batchSize)
        {
            try
            {
                options.BatchSize = BatchSize.Parse(batchSize);
            }
            catch (FormatException)
            {
                throw CliException.UsageError($"--batch-size '{batchSize}' is not valid: expected auto, all, 1 or a positive integer");
            }
        }
        if (arguments.Get("device") is { } device)
        {
            options.Device = device.ToLowerInvariant() switch
            {
                "auto" => ComputeDevice.Auto,
                "cpu" => ComputeDevice.Cpu,
                "cuda" or "gpu" => ComputeDevice.Cuda,
                _ => throw CliException.UsageError($"--device '{device}' is not valid: expected auto, cpu or cuda"),
            };
        }
    }

    /// <summary>A registry lookup whose refusal (unknown name, bad parameter) becomes a usage error naming the option.</summary>
    public static T FromRegistry<T>(string option, Func<T> get)
    {
        try
        {
            return get();
        }
        catch (ArgumentException e)
        {
            throw CliException.UsageError($"{option}: {Messages.OneLine(e)}");
        }
    }

    public static int ParseInt(string text, string option, int minimum)
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < minimum)
            throw CliException.UsageError(minimum switch
            {
                1 => $"{option} '{text}' is not valid: expected a positive integer",
                0 => $"{option} '{text}' is not valid: expected zero or a positive integer",
                _ => $"{option} '{text}' is not valid: expected an integer",
            });
        return value;
    }

    public static double ParsePositive(string text, string option)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value > 0) || double.IsInfinity(value))
            throw CliException.UsageError($"{option} '{text}' is not valid: expected a positive number");
        return value;
    }
}
