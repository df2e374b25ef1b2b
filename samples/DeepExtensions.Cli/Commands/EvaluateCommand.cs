using DeepExtensions.Cli.Csv;
using DeepExtensions.Cli.Output;
using DeepExtensions.Cli.Pipelines;
using Microsoft.ML;

namespace DeepExtensions.Cli.Commands;

/// <summary><c>deepext evaluate</c>: scores a labelled CSV with a saved model and prints the metrics as one JSON line.</summary>
public static class EvaluateCommand
{
    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("model", "FILE", "A model saved by 'deepext train'.", Required: true),
        new("data", "FILE|DIR", "Labelled CSV with the training data's columns (extra columns are ignored); for image models a folder of class sub-folders or an IDX folder (its t10k files); for detection models COCO, YOLO or VOC data (a data.yaml's test or val split).", Required: true),
        new("label", "COLUMN", "The label column of --data (default: the model's label column)."),
    };

    public const string Summary =
        "Scores --data with the model and prints ML.NET's metrics for the model's task as one JSON line on\n" +
        "stdout. On the --test file of 'deepext train' it prints the same numbers train printed.\n" +
        "For object detection or instance segmentation metrics from COCO JSON files, see\n" +
        "'deepext evaluate --task detection --help' (or --task segmentation); for semantic segmentation\n" +
        "(label images), 'deepext evaluate --task semantic-segmentation --help'.";

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        if (TaskOf(args) is { } task)
        {
            if (task == SemanticSegmentationEvaluateCommand.Task)
                return SemanticSegmentationEvaluateCommand.Run(args, context);
            if (task is not (DetectionEvaluateCommand.Task or DetectionEvaluateCommand.SegmentationTask))
                throw CliException.UsageError($"evaluate: --task takes '{DetectionEvaluateCommand.Task}', '{DetectionEvaluateCommand.SegmentationTask}' or '{SemanticSegmentationEvaluateCommand.Task}' (a tabular model's task is read from --model), got '{task}'");
            return DetectionEvaluateCommand.Run(args, context);
        }
        if (Arguments.ParseOrShowHelp("evaluate", args, Options, Summary, context.Out) is not { } arguments)
            return ExitCodes.Success;

        var mlContext = new MLContext(TrainingArguments.DefaultSeed);
        var model = ModelFile.Load(mlContext, arguments.Require("model"));
        try
        {
            if (model.Info.Detection is not null)
            {
                string dataPath = arguments.Require("data");
                var dataset = DetectionDataSet.HeldOut(dataPath, "--data") ?? DetectionDataSet.Open(dataPath, "--data");
                if (!dataset.ClassNames.SequenceEqual(model.Info.Classes, StringComparer.Ordinal))
                    throw CliException.DataError($"--data '{dataPath}' has the classes [{string.Join(", ", dataset.ClassNames)}]; the model was trained on [{string.Join(", ", model.Info.Classes)}]");
                var metrics = ModelEvaluation.EvaluateDetection(mlContext, model, dataset);
                context.Note($"COCO metrics on {dataset} of '{dataPath}':");
                context.Note(DetectionMetricsJson.Summary(metrics));
                Microsoft.ML.DeepExtensions.Vision.Evaluation.DetectionMetrics? maskMetrics = null;
                if (ModelEvaluation.PredictsMasks(model, dataset))
                {
                    if (dataset.Images.All(image => image.Objects.All(o => o.Segmentation is not null)))
                    {
                        maskMetrics = ModelEvaluation.EvaluateDetectionMasks(mlContext, model, dataset, "--data");
                        context.Note("COCO mask (segmentation) metrics:");
                        context.Note(DetectionMetricsJson.Summary(maskMetrics));
                    }
                    else
                    {
                        context.Note($"no mask metrics: some objects of '{dataPath}' have no outline");
                    }
                }
                context.Out.WriteLine(DetectionMetricsJson.Format(metrics, maskMetrics));
                return ExitCodes.Success;
            }
            if (model.Info.Images is { } images)
            {
                var kind = images.Source == "idx" ? ImageSourceKind.Idx : ImageSourceKind.Folder;
                var set = ImageDataSet.OpenLike(mlContext, kind, arguments.Require("data"), "--data", model.Info.Classes, context);
                var (imageReport, _) = ModelEvaluation.EvaluateImages(mlContext, model, set.Data);
                context.Note($"metrics on the images of '{set.Path}': {MetricsJson.Summary(imageReport)}");
                context.Out.WriteLine(MetricsJson.Format(imageReport));
                return set.Unreadable == 0 ? ExitCodes.Success : ExitCodes.Data; // unreadable images were reported and left out
            }
            var data = CsvTable.Read(arguments.Require("data"), "--data");
            var report = ModelEvaluation.Evaluate(mlContext, model, data, "--data", arguments.Get("label") ?? model.Info.Label);
            context.Note($"metrics on {data.Path}: {MetricsJson.Summary(report)}");
            context.Out.WriteLine(MetricsJson.Format(report));
            return ExitCodes.Success;
        }
        finally
        {
            (model.Model as IDisposable)?.Dispose();
        }
    }

    /// <summary>The value of <c>--task</c> (<c>--task X</c> or <c>--task=X</c>), "" when it has none, null when absent.</summary>
    private static string? TaskOf(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i].StartsWith("--task=", StringComparison.Ordinal))
                return args[i]["--task=".Length..];
            if (args[i] == "--task")
                return i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[i + 1] : "";
        }
        return null;
    }
}
