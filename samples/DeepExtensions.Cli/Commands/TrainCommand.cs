using System.Globalization;
using DeepExtensions.Cli.Csv;
using DeepExtensions.Cli.Output;
using DeepExtensions.Cli.Pipelines;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Scoring;
using Microsoft.ML.DeepExtensions.Trainers;
using Microsoft.ML.DeepExtensions.Training;
using ActivationRegistry = Microsoft.ML.DeepExtensions.Activations.Activations;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// <c>deepext train</c>: infers the CSV schema, fits the <see cref="TabularPipeline"/> and an MLP on the
/// training data, saves the whole pipeline to --out, then scores --test (or the training data) with
/// the saved model and prints the metrics as one JSON line.
/// </summary>
public static class TrainCommand
{
    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("task", "binary|multiclass|regression", "What to predict.", Required: true),
        new("data", "FILE", "Training CSV: header row; every column but the label is a feature.", Required: true),
        new("label", "COLUMN", "The column to predict.", Required: true),
        new("out", "FILE", "Where to save the model (.zip).", Required: true),
        new("validation", "FILE", "Validation CSV: early stopping watches its loss instead of the training loss."),
        new("test", "FILE", "Test CSV for the final metrics (default: the training data)."),
        new("hidden", "UNITS", "Hidden layer sizes, e.g. 64,32; 'none' for a linear model (default: 100)."),
        new("activation", "NAME", "Hidden activation: " + string.Join(", ", ActivationRegistry.Names) + " (default: relu)."),
        new("positive", "VALUE", "Binary: the label value that is the positive class (default: see above)."),
        new("ignore", "COLUMNS", "Columns to leave out of the model, e.g. id,name (default: text columns that look like identifiers)."),
        new("force", null, "Overwrite --out if it exists."),
    }.Concat(TrainingArguments.Options(new("cross-entropy for classification, l2 for regression", "constant", "200; early stopping usually ends sooner", "auto"))).ToArray();

    public const string Summary =
        "Trains a multi-layer perceptron on a CSV file and saves the whole pipeline (column schema, label\n" +
        "mapping, missing-value replacement, normalization, one-hot encoding of text columns, network) to\n" +
        "--out. Numeric columns are standardized; text columns are treated as categories and one-hot encoded.\n" +
        "Binary labels: true/false and yes/no map as named, two numbers map larger = positive, any other two\n" +
        "values: the one that sorts later alphabetically is positive (benign/malignant -> malignant), unless\n" +
        "--positive says otherwise. Progress goes to stderr; the last stdout line is the metrics as JSON.";

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        if (Arguments.ParseOrShowHelp("train", args, Options, Summary, context.Out) is not { } arguments)
            return ExitCodes.Success;

        // Everything that can be checked without reading data, first.
        if (!TaskNames.TryParse(arguments.Require("task"), out var task))
            throw CliException.UsageError($"--task '{arguments.Require("task")}' is not valid: expected {TaskNames.All}");
        string label = arguments.Require("label");
        string? positive = arguments.Get("positive");
        if (positive is not null && task != PredictionTask.BinaryClassification)
            throw CliException.UsageError("--positive only applies to --task binary");
        int seed = TrainingArguments.Seed(arguments);
        var options = TrainerOptions(arguments);
        var mlContext = new MLContext(seed);
        var trainer = CreateTrainer(mlContext, task, options); // checks the options together (e.g. a loss that does not fit the task)
        string outPath = arguments.Require("out");
        bool force = arguments.Has("force");
        OutputFile.CheckWritable(outPath, "--out", force);

        // The data: schema, label, classes; validation and test files must fit the training schema.
        var train = CsvTable.Read(arguments.Require("data"), "--data");
        int labelIndex = train.IndexOf(label);
        if (labelIndex < 0)
            throw CliException.DataError($"--data '{train.Path}' has no label column '{label}' (columns: {DataChecks.Names(train.Header)})");
        if (train.Header.Count < 2)
            throw CliException.DataError($"--data '{train.Path}' has no feature columns besides the label '{label}'");
        var distinct = ClassLabels.DistinctValues(train, labelIndex);
        string[] classes = task switch
        {
            PredictionTask.BinaryClassification => ClassLabels.Binary(distinct, label, positive),
            PredictionTask.MulticlassClassification => ClassLabels.Multiclass(distinct, label),
            _ => Array.Empty<string>(),
        };
        var info = new ModelInfo(task, label, classes);
        var columns = LeaveOut(context, arguments.Get("ignore"), train, TabularPipeline.ModelColumns(CsvSchemaInference.Infer(train), label, task), label);
        DataChecks.CheckTextFeatures(train, "--data", columns, label);
        DataChecks.Check(train, "--data", columns, info, label, labelRequired: true);
        var validation = ReadOther(arguments.Get("validation"), "--validation", columns, info);
        var test = ReadOther(arguments.Get("test"), "--test", columns, info);
        DescribeData(context, train, columns, info);

        // Fit the preparation on the training data only, then the network.
        var loader = TabularPipeline.CreateLoader(mlContext, columns, label, train, label);
        var preparation = TabularPipeline.Preprocessing(mlContext, columns, info).Fit(loader.Load(train.Path));
        var trainData = preparation.Transform(loader.Load(train.Path));
        if (validation is not null)
            options.ValidationData = preparation.Transform(TabularPipeline.CreateLoader(mlContext, columns, label, validation, label).Load(validation.Path));
        int featureCount = (trainData.Schema[TabularPipeline.FeaturesColumn].Type as VectorDataViewType)?.Size ?? 1;
        context.Note(string.Create(CultureInfo.InvariantCulture,
            $"training a {info.TaskName} MLP (hidden layers: {(options.HiddenLayers.Length == 0 ? "none" : string.Join(",", options.HiddenLayers))}) on {train.Rows.Count} rows, {featureCount} features, for up to {options.Epochs} epochs"));

        var reporter = new ProgressReporter(context.Error, context.LiveProgress);
        options.Progress = reporter;
        options.CancellationToken = context.CancellationToken;
        NetworkPredictionTransformer network;
        try
        {
            network = reporter.Run(options.Epochs, () => trainer.Fit(trainData));
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception e) when (e is not CliException)
        {
            throw CliException.DataError($"training failed: {Messages.OneLine(e)}");
        }
        context.Note(reporter.Summary());

        var parts = new List<ITransformer>(preparation) { network };
        if (TabularPipeline.Postprocessing(mlContext, info, network.Transform(trainData)) is { } post)
            parts.Add(post);
        using (var model = new TransformerChain<ITransformer>(parts.ToArray()))
            ModelFile.Save(mlContext, model, loader, info, outPath, force);
        context.Note($"saved the model to {outPath}");

        // Score with the saved model, read back, exactly as 'deepext evaluate' does.
        var evaluationContext = new MLContext(seed);
        var saved = ModelFile.Load(evaluationContext, outPath);
        try
        {
            var report = test is null
                ? ModelEvaluation.Evaluate(evaluationContext, saved, train, "--data", label)
                : ModelEvaluation.Evaluate(evaluationContext, saved, test, "--test", label);
            context.Note((test is null ? "metrics on the training data (pass --test FILE for held-out metrics): " : $"metrics on {test.Path}: ")
                + MetricsJson.Summary(report));
            context.Out.WriteLine(MetricsJson.Format(report));
        }
        finally
        {
            (saved.Model as IDisposable)?.Dispose();
        }
        return ExitCodes.Success;
    }

    private static MlpTrainer.Options TrainerOptions(Arguments arguments)
    {
        var options = new MlpTrainer.Options
        {
            LabelColumnName = TabularPipeline.LabelColumn,
            FeatureColumnName = TabularPipeline.FeaturesColumn,
        };
        TrainingArguments.Apply(arguments, options);
        if (arguments.Get("hidden") is { } hidden)
            options.HiddenLayers = ParseHidden(hidden);
        if (arguments.Get("activation") is { } activation)
            options.Activation = TrainingArguments.FromRegistry("--activation", () => ActivationRegistry.Get(activation));
        return options;
    }

    private static MlpTrainer CreateTrainer(MLContext mlContext, PredictionTask task, MlpTrainer.Options options)
    {
        try
        {
            return task switch
            {
                PredictionTask.BinaryClassification => mlContext.BinaryClassification.Trainers.Mlp(options),
                PredictionTask.MulticlassClassification => mlContext.MulticlassClassification.Trainers.Mlp(options),
                _ => mlContext.Regression.Trainers.Mlp(options),
            };
        }
        catch (ArgumentException e)
        {
            throw CliException.UsageError(Messages.OneLine(e));
        }
    }

    /// <summary>Reads --validation or --test and checks it against the training schema.</summary>
    private static CsvTable? ReadOther(string? path, string option, IReadOnlyList<CsvColumn> columns, ModelInfo info)
    {
        if (path is null)
            return null;
        var table = CsvTable.Read(path, option);
        DataChecks.Check(table, option, columns, info, info.Label, labelRequired: true);
        return table;
    }

    /// <summary>
    /// The model's columns without those named by --ignore or, when it is not given, without text
    /// columns that look like identifiers (more than 20 distinct values, more than half the rows
    /// distinct): one-hot encoded, those would only let the network memorise the training rows. A
    /// mostly numeric column is never taken for an identifier: its text values are typos, refused later.
    /// </summary>
    private static IReadOnlyList<CsvColumn> LeaveOut(CliContext context, string? ignore, CsvTable train, IReadOnlyList<CsvColumn> columns, string label)
    {
        string[] names;
        if (ignore is not null)
        {
            names = ignore.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var unknown = names.Where(n => train.IndexOf(n) < 0).ToArray();
            if (unknown.Length > 0)
                throw CliException.UsageError($"--ignore names {DataChecks.Names(unknown)}, which --data '{train.Path}' does not have (columns: {DataChecks.Names(train.Header)})");
            if (names.Contains(label))
                throw CliException.UsageError($"--ignore cannot leave out the label '{label}'");
        }
        else
        {
            // A numeric column with a stray text value is a typo to refuse (CheckTextFeatures), not an identifier to drop.
            names = columns
                .Where(c => c.Name != label && c.Kind == CsvColumnKind.Text && !CsvSchemaInference.IsMostlyNumeric(train, train.IndexOf(c.Name)))
                .Select(c => (c.Name, Count: ClassLabels.DistinctValues(train, train.IndexOf(c.Name)).Count))
                .Where(c => c.Count > 20 && c.Count > train.Rows.Count / 2)
                .Select(c =>
                {
                    context.Note($"leaving out text column '{c.Name}': {c.Count} distinct values in {train.Rows.Count} rows look like an identifier (--ignore chooses the columns to leave out)");
                    return c.Name;
                })
                .ToArray();
        }
        var kept = columns.Where(c => !names.Contains(c.Name)).ToArray();
        if (kept.All(c => c.Name == label))
            throw CliException.DataError($"--data '{train.Path}' has no feature columns left besides the label '{label}'");
        return kept;
    }

    private static void DescribeData(CliContext context, CsvTable train, IReadOnlyList<CsvColumn> columns, ModelInfo info)
    {
        var text = columns.Where(c => c.Name != info.Label && c.Kind == CsvColumnKind.Text).ToArray();
        if (text.Length > 0)
        {
            var counts = text.Select(c => (c.Name, Count: ClassLabels.DistinctValues(train, train.IndexOf(c.Name)).Count)).ToArray();
            context.Note($"text columns are one-hot encoded as categories: {string.Join(", ", counts.Select(c => $"'{c.Name}' ({c.Count} values)"))}");
            foreach (var (name, count) in counts.Where(c => c.Count > 100))
                context.Note($"text column '{name}' has {count} distinct values in {train.Rows.Count} rows: if it is free text, leave it out with --ignore");
        }
        if (info.Task == PredictionTask.BinaryClassification)
            context.Note($"label '{info.Label}': '{info.Classes[1]}' is the positive class (true), '{info.Classes[0]}' the negative");
        else if (info.Task == PredictionTask.MulticlassClassification)
            context.Note($"label '{info.Label}': {info.Classes.Count} classes {DataChecks.Names(info.Classes)}");
    }

    private static int[] ParseHidden(string text)
    {
        if (text.Trim() is "" or "none")
            return Array.Empty<int>();
        var parts = text.Split(',');
        var units = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out units[i]) || units[i] <= 0)
                throw CliException.UsageError($"--hidden '{text}' is not valid: expected positive layer sizes separated by commas, e.g. 64,32, or none");
        }
        return units;
    }
}
