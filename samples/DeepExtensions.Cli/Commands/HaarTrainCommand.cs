using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DeepExtensions.Cli.Haar;
using DeepExtensions.Cli.Output;
using Microsoft.ML;
using Microsoft.ML.DeepExtensions.Vision.Haar;
using Microsoft.ML.DeepExtensions.Vision.Haar.Training;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// <c>deepext train --task haar-cascade</c>: trains a Haar cascade on a folder of positive windows and a
/// folder of background images, writes it in OpenCV's cascade XML format, and (with --test) scores it on
/// images with known boxes.
/// </summary>
public static class HaarTrainCommand
{
    public const string Task = "haar-cascade";

    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("task", Task, "What to train.", Required: true),
        new("positives", "DIR", "Images of the object, one per file, cropped as the detector should box it (any size; resampled to the window).", Required: true),
        new("negatives", "DIR", "Background images without the object, each at least the window's size; negatives are mined from them.", Required: true),
        new("out", "FILE", "Where to write the cascade (OpenCV XML, loadable by cv::CascadeClassifier).", Required: true),
        new("window", "WxH", "Detection window size in pixels (default: 24x24)."),
        new("stages", "N", "The most stages to train (default: 10)."),
        new("min-hit-rate", "R", "Fraction of positives each stage must accept, in (0, 1] (default: 0.995)."),
        new("max-false-alarm", "R", "A stage is complete once at most this fraction of its negatives passes, in (0, 1) (default: 0.5)."),
        new("max-weak", "N", "The most weak classifiers per stage (default: 100)."),
        new("negatives-per-stage", "N", "Negative windows mined for each stage (default: 1000)."),
        new("mode", "basic|core|all", "Haar features to choose from: upright edges and lines, plus center-surround, plus 45-degree ones (default: basic)."),
        new("seed", "N", "Seed for mining negatives (default: 1)."),
        new("test", "DIR", "Score the cascade on DIR's images against DIR/boxes.csv (file,x,y,width,height): hit rate and false positives per image."),
        new("force", null, "Overwrite --out if it exists."),
    };

    public const string Summary =
        "Trains a Haar cascade (Viola-Jones, Gentle AdaBoost over stumps, stage by stage with hard-negative\n" +
        "mining, as opencv_traincascade) and writes it in OpenCV's XML format. Stages are reported on stderr;\n" +
        "the last stdout line is a JSON summary. 'deepext haar-sample --out DIR' writes a small data set to try it.";

    // The estimator's option names and the flags that set them, to name the flag in an error.
    private static readonly Dictionary<string, string> Flags = new()
    {
        ["WindowWidth"] = "--window",
        ["StageCount"] = "--stages",
        ["MinHitRate"] = "--min-hit-rate",
        ["MaxFalseAlarmRate"] = "--max-false-alarm",
        ["MaxWeakCount"] = "--max-weak",
        ["NegativesPerStage"] = "--negatives-per-stage",
    };

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        if (Arguments.ParseOrShowHelp("train", args, Options, Summary, context.Out) is not { } arguments)
            return ExitCodes.Success;
        if (arguments.Require("task") != Task)
            throw CliException.UsageError($"--task '{arguments.Require("task")}' is not valid here: expected {Task}");

        var (width, height) = arguments.Get("window") is { } window ? ParseWindow(window) : (24, 24);
        var options = new HaarCascadeEstimator.Options
        {
            WindowWidth = width,
            WindowHeight = height,
            CancellationToken = context.CancellationToken,
            Progress = new StageLines(context),
        };
        if (arguments.Get("stages") is { } stages)
            options.StageCount = TrainingArguments.ParseInt(stages, "--stages", minimum: int.MinValue);
        if (arguments.Get("min-hit-rate") is { } hitRate)
            options.MinHitRate = ParseNumber(hitRate, "--min-hit-rate");
        if (arguments.Get("max-false-alarm") is { } falseAlarm)
            options.MaxFalseAlarmRate = ParseNumber(falseAlarm, "--max-false-alarm");
        if (arguments.Get("max-weak") is { } maxWeak)
            options.MaxWeakCount = TrainingArguments.ParseInt(maxWeak, "--max-weak", minimum: int.MinValue);
        if (arguments.Get("negatives-per-stage") is { } negatives)
            options.NegativesPerStage = TrainingArguments.ParseInt(negatives, "--negatives-per-stage", minimum: int.MinValue);
        if (arguments.Get("mode") is { } mode)
        {
            options.FeatureMode = mode.Trim().ToLowerInvariant() switch
            {
                "basic" => HaarFeatureMode.Basic,
                "core" => HaarFeatureMode.Core,
                "all" => HaarFeatureMode.All,
                _ => throw CliException.UsageError($"--mode '{mode}' is not valid: expected basic, core or all"),
            };
        }
        options.Seed = arguments.Get("seed") is { } seed ? TrainingArguments.ParseInt(seed, "--seed", minimum: int.MinValue) : 1;
        string outPath = arguments.Require("out");
        bool force = arguments.Has("force");
        OutputFile.CheckWritable(outPath, "--out", force);
        string? testFolder = arguments.Get("test");
        if (testFolder is not null && !Directory.Exists(testFolder))
            throw CliException.UsageError($"--test '{testFolder}' is not a folder");

        options.NegativeImagePaths = ImageFiles.Find(arguments.Require("negatives"), "--negatives", fileAllowed: false);
        var listedPositives = ImageFiles.Find(arguments.Require("positives"), "--positives", fileAllowed: false);
        var positiveFiles = ImageFiles.Readable(listedPositives, context);
        if (positiveFiles.Count == 0)
            throw CliException.DataError($"--positives '{arguments.Require("positives")}': none of its {listedPositives.Length} images can be read");
        var ml = new MLContext(seed: options.Seed);
        HaarCascadeEstimator estimator;
        try
        {
            estimator = ml.Transforms.TrainHaarCascade(options);
        }
        catch (ArgumentException e)
        {
            string flag = e.ParamName is { } name && Flags.TryGetValue(name, out var f) ? f : "option";
            throw CliException.UsageError($"{flag}: {Messages.OneLine(e)}");
        }

        context.Note($"training a {width}x{height} cascade on {positiveFiles.Count} positives and {options.NegativeImagePaths.Count} negative images");
        var positives = PathImages.Load(ml, positiveFiles);
        var clock = Stopwatch.StartNew();
        HaarCascade cascade;
        try
        {
            cascade = estimator.TrainCascade(positives);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or InvalidOperationException or FileNotFoundException)
        {
            throw CliException.DataError($"training failed: {Messages.OneLine(e)}");
        }
        double seconds = clock.Elapsed.TotalSeconds;
        context.Note($"training stopped: {estimator.StopReason}");
        OutputFile.Write(outPath, "--out", force, cascade.Save);
        context.Note($"wrote the cascade to {outPath}");

        DetectionScore? score = testFolder is null ? null : TestSet.Score(cascade, testFolder, ml, context);
        if (score is not null)
            context.Note(string.Create(CultureInfo.InvariantCulture,
                $"on {testFolder}: hit rate {score.HitRate:0.###} ({score.Found}/{score.Objects}), {score.FalsePositivesPerImage:0.##} false positives per image"));
        context.Out.WriteLine(SummaryJson(cascade, estimator, seconds, score));
        // Unreadable positives were reported and skipped, as every command that reads images does.
        return positiveFiles.Count == listedPositives.Length ? ExitCodes.Success : ExitCodes.Data;
    }

    private static string SummaryJson(HaarCascade cascade, HaarCascadeEstimator estimator, double seconds, DetectionScore? score)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            var last = estimator.TrainingHistory[^1];
            json.WriteStartObject();
            json.WriteString("Task", Task);
            json.WriteString("Window", $"{cascade.WindowWidth}x{cascade.WindowHeight}");
            json.WriteNumber("Stages", cascade.Stages.Count);
            json.WriteNumber("WeakClassifiers", cascade.Stages.Sum(s => s.Trees.Count));
            json.WriteNumber("Features", cascade.Features.Count);
            json.WriteNumber("LastStagePositives", last.Positives);
            json.WriteNumber("NegativeAcceptanceRatio", last.NegativeAcceptanceRatio);
            json.WriteString("StopReason", estimator.StopReason);
            json.WriteNumber("Seconds", Math.Round(seconds, 2));
            if (score is not null)
            {
                json.WriteNumber("TestImages", score.Images);
                json.WriteNumber("TestObjects", score.Objects);
                json.WriteNumber("TestHitRate", score.HitRate);
                json.WriteNumber("TestFalsePositivesPerImage", score.FalsePositivesPerImage);
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static (int Width, int Height) ParseWindow(string text) =>
        SizeArgument.TryParse(text) ?? throw CliException.UsageError($"--window '{text}' is not valid: expected WxH (e.g. 24x24)");

    private static double ParseNumber(string text, string option)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            throw CliException.UsageError($"{option} '{text}' is not valid: expected a number");
        return value;
    }

    // One stderr line per stage, written on the training thread as the stage completes.
    private sealed class StageLines(CliContext context) : IProgress<HaarStageProgress>
    {
        public void Report(HaarStageProgress value) => context.Note(value.ToString());
    }
}
