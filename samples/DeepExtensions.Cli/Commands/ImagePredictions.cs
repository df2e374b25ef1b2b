using System.Globalization;
using DeepExtensions.Cli.Csv;
using DeepExtensions.Cli.Output;
using DeepExtensions.Cli.Pipelines;
using Microsoft.ML;
using Microsoft.ML.DeepExtensions.Vision.Data;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// <c>deepext predict</c> for image classification models: one row per image with its path (or its
/// index in an IDX file), the predicted class and one probability per class. Any image file, or a
/// folder of them (with sub-folders or not), is scored the way the training images were prepared:
/// a model trained on image files resizes them with its own saved pipeline; a model trained on IDX
/// pixels gets each image resized to the network's stored input size and read as the network reads
/// image columns (grayscale luma for one channel, in [0, 1] like the IDX pixels). An unreadable image is
/// reported and skipped (exit code 1), as every command that reads images does.
/// </summary>
internal static class ImagePredictions
{
    public static int Run(MLContext mlContext, LoadedModel model, string dataPath, string? outPath, bool force, CliContext context)
    {
        var info = model.Info;
        bool idxModel = info.Images!.Source == "idx";
        bool idxData = idxModel && Directory.Exists(dataPath) && IdxFolder.IsIdxFolder(dataPath);
        IDataView data;
        List<string> names;
        int unreadable = 0;
        if (idxData)
        {
            var set = ImageDataSet.OpenLike(mlContext, ImageSourceKind.Idx, dataPath, "--data", info.Classes, context);
            data = set.Data;
            names = new List<string>();
        }
        else
        {
            var listed = ImageFiles.Find(dataPath, "--data", recursive: true);
            if (File.Exists(dataPath))
            {
                using var single = ImageFiles.Read(dataPath, "--data"); // one image: its fault is the error
                names = listed.ToList();
            }
            else
                names = ImageFiles.Readable(listed, context);
            unreadable = listed.Length - names.Count;
            if (names.Count == 0)
                throw CliException.DataError($"--data '{dataPath}': none of its {listed.Length} images can be read");
            // The model maps Label to a key first: unlabelled images get an empty (missing) label.
            data = mlContext.Data.LoadFromEnumerable(names.Select(path => new UnlabelledImage { ImagePath = Path.GetFullPath(path) }));
            if (idxModel)
                data = AsIdxFeatures(mlContext, info.Images, data);
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
        string first = idxData ? "Index" : "ImagePath";

        void Write(TextWriter writer)
        {
            CsvWriter.WriteRow(writer, new[] { first }.Concat(predictions.Header));
            for (int r = 0; r < predictions.Rows.Count; r++)
                CsvWriter.WriteRow(writer, new[] { idxData ? r.ToString(CultureInfo.InvariantCulture) : names[r] }.Concat(predictions.Rows[r]));
        }

        if (outPath is null)
            Write(context.Out);
        else
        {
            OutputFile.Write(outPath, "--out", force, temp =>
            {
                using var writer = new StreamWriter(temp, append: false, CsvWriter.Encoding);
                Write(writer);
            });
            context.Note($"wrote {predictions.Rows.Count} predictions to {outPath}");
        }
        return unreadable == 0 ? ExitCodes.Success : ExitCodes.Data;
    }

    /// <summary>
    /// Image files as the <c>Features</c> column of a model trained on IDX pixels: each image resized
    /// (ML.NET's <c>ResizeImages</c>, as models trained on image folders resize) to the network's
    /// input size. The network reads an image column in its own input shape, so one channel means the
    /// luma of each pixel scaled to [0, 1], as the IDX pixels were.
    /// </summary>
    private static IDataView AsIdxFeatures(MLContext mlContext, ImageModelInput input, IDataView paths)
    {
        (int height, int width) = input.ImageSize();
        var prepare = mlContext.Transforms.LoadImages(ImagePipeline.FeaturesColumn, imageFolder: "", ImagePipeline.ImagePathColumn)
            .Append(mlContext.Transforms.ResizeImages(ImagePipeline.FeaturesColumn, width, height, ImagePipeline.FeaturesColumn));
        return prepare.Fit(paths).Transform(paths);
    }

    private sealed class UnlabelledImage
    {
        public string Label { get; set; } = "";

        public string ImagePath { get; set; } = "";
    }
}
