using DeepExtensions.Cli.Csv;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions;
using Microsoft.ML.Transforms;

namespace DeepExtensions.Cli.Pipelines;

/// <summary>
/// The ML.NET pipeline the CLI builds from a CSV schema, shared by train, evaluate and predict:
/// <list type="bullet">
/// <item>a <see cref="TextLoader"/> reading the model's columns (numeric → Single, text → String) from a file by header name;</item>
/// <item>the label → <see cref="LabelColumn"/>: binary → Boolean by a <c>MapValue</c> lookup of the two
///   label values (see <see cref="ClassLabels"/>), multiclass → key by <c>MapValueToKey</c> over the
///   training classes, regression → Single;</item>
/// <item>numeric features → concatenated, missing values replaced by the training mean, then
///   <c>NormalizeMeanVariance</c> (mean 0, variance 1, like scikit-learn's StandardScaler);</item>
/// <item>text (categorical) features → <c>OneHotEncoding</c> (values unseen in training encode as all zeros);</item>
/// <item>both concatenated into <see cref="FeaturesColumn"/> for the trainer; after it, for multiclass,
///   <c>MapKeyToValue("PredictedLabel")</c> so predictions show the original class values.</item>
/// </list>
/// Every step is fit on the training data only and saved inside the model.
/// </summary>
public static class TabularPipeline
{
    public const string LabelColumn = "__Label";
    public const string FeaturesColumn = "__Features";
    private const string NumericColumn = "__Numeric";
    private const string OneHotPrefix = "__OneHot.";

    /// <summary>The columns the model reads: the inferred ones, with the label typed for the task.</summary>
    public static IReadOnlyList<CsvColumn> ModelColumns(IReadOnlyList<CsvColumn> inferred, string label, PredictionTask task) =>
        inferred.Select(c => c.Name != label ? c
            : c with { Kind = task == PredictionTask.Regression ? CsvColumnKind.Numeric : CsvColumnKind.Text }).ToArray();

    /// <summary>The model's columns read back from a saved loader's schema.</summary>
    public static IReadOnlyList<CsvColumn> ColumnsOf(DataViewSchema loaderSchema) =>
        loaderSchema.Where(c => !c.IsHidden)
            .Select(c => new CsvColumn(c.Name, c.Type is TextDataViewType ? CsvColumnKind.Text : CsvColumnKind.Numeric))
            .ToArray();

    /// <summary>
    /// A loader for <paramref name="table"/>'s file that yields the model's columns by name. The label
    /// is read from column <paramref name="fileLabel"/>; when the file has no such column the label
    /// reads as missing (predict). Every other model column must be in the file (see <see cref="DataChecks"/>).
    /// </summary>
    public static TextLoader CreateLoader(MLContext mlContext, IReadOnlyList<CsvColumn> columns, string label, CsvTable table, string fileLabel)
    {
        int missing = table.Header.Count; // past the last field: TextLoader reads it as empty
        var loaderColumns = columns.Select(c =>
        {
            int index = table.IndexOf(c.Name == label ? fileLabel : c.Name);
            return new TextLoader.Column(c.Name, c.Kind == CsvColumnKind.Numeric ? DataKind.Single : DataKind.String, index >= 0 ? index : missing);
        }).ToArray();

        return mlContext.Data.CreateTextLoader(new TextLoader.Options
        {
            Columns = loaderColumns,
            HasHeader = true,
            Separators = new[] { ',' },
            AllowQuoting = true,
            MissingRealsAsNaNs = true, // empty and '?' are missing (NaN, replaced by the training mean), not 0
        });
    }

    /// <summary>Label and feature preparation, to fit on the training data.</summary>
    public static EstimatorChain<ITransformer> Preprocessing(MLContext mlContext, IReadOnlyList<CsvColumn> columns, ModelInfo info)
    {
        var transforms = mlContext.Transforms;
        IEstimator<ITransformer> label = info.Task switch
        {
            PredictionTask.BinaryClassification => transforms.Conversion.MapValue(LabelColumn,
                new[] { new KeyValuePair<string, bool>(info.Classes[0], false), new KeyValuePair<string, bool>(info.Classes[1], true) },
                info.Label),
            PredictionTask.MulticlassClassification => transforms.Conversion.MapValueToKey(LabelColumn, info.Label,
                keyData: mlContext.Data.LoadFromEnumerable(info.Classes.Select(c => new ClassRow { Value = c }))),
            _ => transforms.CopyColumns(LabelColumn, info.Label),
        };
        var pipeline = new EstimatorChain<ITransformer>().Append(label);

        var features = columns.Where(c => c.Name != info.Label).ToArray();
        var numeric = features.Where(c => c.Kind == CsvColumnKind.Numeric).Select(c => c.Name).ToArray();
        var text = features.Where(c => c.Kind == CsvColumnKind.Text).Select(c => c.Name).ToArray();
        var parts = new List<string>();

        if (numeric.Length > 0)
        {
            pipeline = pipeline
                .Append<ITransformer>(transforms.Concatenate(NumericColumn, numeric))
                .Append<ITransformer>(transforms.ReplaceMissingValues(NumericColumn, replacementMode: MissingValueReplacingEstimator.ReplacementMode.Mean))
                .Append<ITransformer>(transforms.NormalizeMeanVariance(NumericColumn, fixZero: false));
            parts.Add(NumericColumn);
        }
        if (text.Length > 0)
        {
            var pairs = text.Select(name => new InputOutputColumnPair(OneHotPrefix + name, name)).ToArray();
            pipeline = pipeline.Append<ITransformer>(transforms.Categorical.OneHotEncoding(pairs));
            parts.AddRange(pairs.Select(p => p.OutputColumnName));
        }
        return pipeline.Append<ITransformer>(transforms.Concatenate(FeaturesColumn, parts.ToArray()));
    }

    /// <summary>What follows the trainer: multiclass predictions back to the original class values; else nothing.</summary>
    public static ITransformer? Postprocessing(MLContext mlContext, ModelInfo info, IDataView scored) =>
        info.Task == PredictionTask.MulticlassClassification
            ? mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(scored)
            : null;

    private sealed class ClassRow
    {
        public string Value { get; set; } = "";
    }
}
