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
        new("data", "FILE|DIR", "Labelled CSV with the training data's columns (extra columns are ignored); for image models a folder of class sub-folders or an IDX folder (its t10k files).", Required: true),
        new("label", "COLUMN", "The label column of --data (default: the model's label column)."),
    };

    public const string Summary =
        "Scores --data with the model and prints ML.NET's metrics for the model's task as one JSON line on\n" +
        "stdout. On the --test file of 'deepext train' it prints the same numbers train printed.";

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        if (Arguments.ParseOrShowHelp("evaluate", args, Options, Summary, context.Out) is not { } arguments)
            return ExitCodes.Success;

        var mlContext = new MLContext(TrainingArguments.DefaultSeed);
        var model = ModelFile.Load(mlContext, arguments.Require("model"));
        try
        {
            if (model.Info.Images is { } images)
            {
                var kind = images.Source == "idx" ? ImageSourceKind.Idx : ImageSourceKind.Folder;
                var set = ImageDataSet.OpenLike(mlContext, kind, arguments.Require("data"), "--data", model.Info.Classes);
                var (imageReport, _) = ModelEvaluation.EvaluateImages(mlContext, model, set.Data);
                context.Note($"metrics on the images of '{set.Path}': {MetricsJson.Summary(imageReport)}");
                context.Out.WriteLine(MetricsJson.Format(imageReport));
                return ExitCodes.Success;
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
}
