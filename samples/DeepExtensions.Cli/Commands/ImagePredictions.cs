using System.Globalization;
using DeepExtensions.Cli.Csv;
using DeepExtensions.Cli.Output;
using DeepExtensions.Cli.Pipelines;
using Microsoft.ML;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// <c>deepext predict</c> for image classification models: one row per image with its path (or its
/// index in an IDX file), the predicted class and one probability per class.
/// </summary>
internal static class ImagePredictions
{
    public static int Run(MLContext mlContext, LoadedModel model, string dataPath, string? outPath, bool force, CliContext context)
    {
        var info = model.Info;
        bool idx = info.Images!.Source == "idx";
        IDataView data;
        List<string> names;
        if (idx)
        {
            var set = ImageDataSet.OpenLike(mlContext, ImageSourceKind.Idx, dataPath, "--data", info.Classes);
            data = set.Data;
            names = new List<string>();
        }
        else
        {
            names = ImageFiles.Find(dataPath, "--data", recursive: true).ToList();
            // The model maps Label to a key first: unlabelled images get an empty (missing) label.
            data = mlContext.Data.LoadFromEnumerable(names.Select(path => new UnlabelledImage { ImagePath = Path.GetFullPath(path) }));
        }

        PredictCommand.PredictionTable predictions;
        try
        {
            predictions = PredictCommand.Predictions(model.Model.Transform(data), info);
        }
        catch (Exception e) when (e is not CliException and not OperationCanceledException)
        {
            throw CliException.DataError($"--data '{dataPath}' cannot be scored: {Messages.OneLine(e)}");
        }
        string first = idx ? "Index" : "ImagePath";

        void Write(TextWriter writer)
        {
            CsvWriter.WriteRow(writer, new[] { first }.Concat(predictions.Header));
            for (int r = 0; r < predictions.Rows.Count; r++)
                CsvWriter.WriteRow(writer, new[] { idx ? r.ToString(CultureInfo.InvariantCulture) : names[r] }.Concat(predictions.Rows[r]));
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
        context.Note($"wrote {predictions.Rows.Count} predictions to {outPath}");
        return ExitCodes.Success;
    }

    private sealed class UnlabelledImage
    {
        public string Label { get; set; } = "";

        public string ImagePath { get; set; } = "";
    }
}
