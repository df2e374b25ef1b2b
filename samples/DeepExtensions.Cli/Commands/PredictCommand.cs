using DeepExtensions.Cli.Csv;
using DeepExtensions.Cli.Output;
using DeepExtensions.Cli.Pipelines;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// <c>deepext predict</c>: scores a CSV with a saved model and writes the input columns followed by
/// the predictions: binary → PredictedLabel (the label value), Probability (of the positive class),
/// Score; multiclass → PredictedLabel (the class value) and Score_CLASS per class (its probability);
/// regression → Score.
/// </summary>
public static class PredictCommand
{
    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("model", "FILE", "A model saved by 'deepext train'.", Required: true),
        new("data", "FILE|DIR", "CSV with the training data's feature columns (the label column may be absent); for image models an image file, a folder of images, or an IDX folder.", Required: true),
        new("out", "FILE", "Where to write the predictions CSV (default: stdout)."),
        new("force", null, "Overwrite --out if it exists."),
    };

    public const string Summary =
        "Writes --data's columns followed by the predictions: binary: PredictedLabel, Probability, Score;\n" +
        "multiclass and image classification: PredictedLabel and one Score_CLASS column per class; regression:\n" +
        "Score. Image models write the image (path, or index in the IDX file) first.";

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        if (Arguments.ParseOrShowHelp("predict", args, Options, Summary, context.Out) is not { } arguments)
            return ExitCodes.Success;
        string? outPath = arguments.Get("out");
        bool force = arguments.Has("force");
        if (outPath is not null)
            OutputFile.CheckWritable(outPath, "--out", force);

        var mlContext = new MLContext(TrainingArguments.DefaultSeed);
        var model = ModelFile.Load(mlContext, arguments.Require("model"));
        try
        {
            if (model.Info.Images is not null)
                return ImagePredictions.Run(mlContext, model, arguments.Require("data"), outPath, force, context);
            var data = CsvTable.Read(arguments.Require("data"), "--data");
            var info = model.Info;
            DataChecks.Check(data, "--data", model.Columns, info, info.Label, labelRequired: false);
            var scored = model.Model.Transform(TabularPipeline.CreateLoader(mlContext, model.Columns, info.Label, data, info.Label).Load(data.Path));
            var predictions = Predictions(scored, info);
            if (predictions.Rows.Count != data.Rows.Count)
                throw CliException.DataError($"--data '{data.Path}': ML.NET read {predictions.Rows.Count} rows, expected {data.Rows.Count}");

            void Write(TextWriter writer)
            {
                CsvWriter.WriteRow(writer, data.Header.Concat(predictions.Header));
                for (int r = 0; r < data.Rows.Count; r++)
                    CsvWriter.WriteRow(writer, data.Rows[r].Concat(predictions.Rows[r]));
            }

            if (outPath is null)
            {
                Write(context.Out);
                return ExitCodes.Success;
            }
            OutputFile.Write(outPath, "--out", force, temp =>
            {
                using var writer = new StreamWriter(temp, append: false, CsvWriter.Encoding);
                Write(writer);
            });
            context.Note($"wrote {data.Rows.Count} predictions to {outPath}");
            return ExitCodes.Success;
        }
        finally
        {
            (model.Model as IDisposable)?.Dispose();
        }
    }

    internal sealed record PredictionTable(IReadOnlyList<string> Header, List<string[]> Rows);

    internal static PredictionTable Predictions(IDataView scored, ModelInfo info)
    {
        var schema = scored.Schema;
        var rows = new List<string[]>();
        switch (info.Task)
        {
            case PredictionTask.BinaryClassification:
            {
                using var cursor = scored.GetRowCursor(new[] { schema["PredictedLabel"], schema["Probability"], schema["Score"] });
                var predicted = cursor.GetGetter<bool>(schema["PredictedLabel"]);
                var probability = cursor.GetGetter<float>(schema["Probability"]);
                var score = cursor.GetGetter<float>(schema["Score"]);
                bool label = false;
                float p = 0, s = 0;
                while (cursor.MoveNext())
                {
                    predicted(ref label);
                    probability(ref p);
                    score(ref s);
                    rows.Add(new[] { float.IsNaN(s) ? "" : info.Classes[label ? 1 : 0], CsvWriter.Number(p), CsvWriter.Number(s) });
                }
                return new PredictionTable(new[] { "PredictedLabel", "Probability", "Score" }, rows);
            }
            case PredictionTask.MulticlassClassification:
            {
                using var cursor = scored.GetRowCursor(new[] { schema["PredictedLabel"], schema["Score"] });
                var predicted = cursor.GetGetter<ReadOnlyMemory<char>>(schema["PredictedLabel"]);
                var score = cursor.GetGetter<VBuffer<float>>(schema["Score"]);
                ReadOnlyMemory<char> label = default;
                VBuffer<float> scores = default;
                while (cursor.MoveNext())
                {
                    predicted(ref label);
                    score(ref scores);
                    var row = new string[1 + info.Classes.Count];
                    row[0] = label.ToString();
                    var dense = scores.DenseValues().ToArray();
                    for (int c = 0; c < info.Classes.Count; c++)
                        row[1 + c] = c < dense.Length ? CsvWriter.Number(dense[c]) : "";
                    rows.Add(row);
                }
                return new PredictionTable(new[] { "PredictedLabel" }.Concat(info.Classes.Select(c => "Score_" + c)).ToArray(), rows);
            }
            default:
            {
                using var cursor = scored.GetRowCursor(new[] { schema["Score"] });
                var score = cursor.GetGetter<float>(schema["Score"]);
                float s = 0;
                while (cursor.MoveNext())
                {
                    score(ref s);
                    rows.Add(new[] { CsvWriter.Number(s) });
                }
                return new PredictionTable(new[] { "Score" }, rows);
            }
        }
    }
}
