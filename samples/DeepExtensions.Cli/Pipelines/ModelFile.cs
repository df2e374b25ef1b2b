using System.IO.Compression;
using DeepExtensions.Cli.Commands;
using DeepExtensions.Cli.Csv;
using DeepExtensions.Cli.Output;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Persistence;

namespace DeepExtensions.Cli.Pipelines;

/// <summary>A model read back from a model.zip: the pipeline, the columns it reads, and the CLI's <see cref="ModelInfo"/>.</summary>
public sealed record LoadedModel(ITransformer Model, IReadOnlyList<CsvColumn> Columns, ModelInfo Info);

/// <summary>
/// Saves and loads model.zip: ML.NET's own model file holding the whole fitted pipeline and the
/// <see cref="TextLoader"/> it was trained with (so the input schema travels with the model and plain
/// ML.NET code can load it with <c>mlContext.Model.LoadWithDataLoader</c>), plus one small entry
/// <see cref="ModelInfo.EntryName"/> with the task, label and classes.
/// </summary>
public static class ModelFile
{
    /// <summary>
    /// Writes the model to a temporary file beside <paramref name="path"/> and then moves it into
    /// place, so an interrupted run never leaves a half-written model.
    /// </summary>
    public static void Save(MLContext mlContext, ITransformer model, IDataLoader<IMultiStreamSource> loader, ModelInfo info, string path, bool overwrite)
    {
        OutputFile.Write(path, "--out", overwrite, temp =>
        {
            mlContext.Model.Save(model, loader, temp);
            using var zip = ZipFile.Open(temp, ZipArchiveMode.Update);
            var entry = zip.CreateEntry(ModelInfo.EntryName, CompressionLevel.Optimal);
            using var writer = new StreamWriter(entry.Open(), CsvWriter.Encoding);
            writer.Write(info.ToJson());
        });
    }

    /// <summary>Saves a model that reads an in-memory or image data view (no text loader): the input schema travels with it.</summary>
    public static void Save(MLContext mlContext, ITransformer model, DataViewSchema inputSchema, ModelInfo info, string path, bool overwrite)
    {
        OutputFile.Write(path, "--out", overwrite, temp =>
        {
            mlContext.Model.Save(model, inputSchema, temp);
            using var zip = ZipFile.Open(temp, ZipArchiveMode.Update);
            var entry = zip.CreateEntry(ModelInfo.EntryName, CompressionLevel.Optimal);
            using var writer = new StreamWriter(entry.Open(), CsvWriter.Encoding);
            writer.Write(info.ToJson());
        });
    }

    public static LoadedModel Load(MLContext mlContext, string path)
    {
        if (!File.Exists(path))
            throw CliException.DataError($"--model '{path}' not found");

        ModelInfo? info;
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var entry = zip.GetEntry(ModelInfo.EntryName);
            if (entry is null)
                throw CliException.DataError($"--model '{path}' was not saved by 'deepext train' (it has no {ModelInfo.EntryName})");
            using var reader = new StreamReader(entry.Open());
            info = ModelInfo.FromJson(reader.ReadToEnd());
        }
        catch (InvalidDataException)
        {
            throw CliException.DataError($"--model '{path}' is not a model file (not a zip archive)");
        }
        if (info is null)
            throw CliException.DataError($"--model '{path}' has an unreadable {ModelInfo.EntryName}");

        mlContext.RegisterDeepExtensions();
        ITransformer model;
        IDataLoader<IMultiStreamSource> loader;
        try
        {
            if (info.Images is not null || info.Detection is not null)
                return new LoadedModel(mlContext.Model.Load(path, out _), Array.Empty<CsvColumn>(), info);
            model = mlContext.Model.LoadWithDataLoader(path, out loader);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw CliException.DataError($"--model '{path}' cannot be loaded: {Messages.OneLine(e)}");
        }
        return new LoadedModel(model, TabularPipeline.ColumnsOf(loader.GetOutputSchema()), info);
    }
}
