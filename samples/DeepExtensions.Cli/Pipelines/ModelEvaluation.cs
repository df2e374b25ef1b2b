using Microsoft.ML.DeepExtensions.Vision;
using Microsoft.ML.DeepExtensions.Vision.Data.Detection;
using Microsoft.ML.DeepExtensions.Vision.Evaluation;
using DeepExtensions.Cli.Commands;
using DeepExtensions.Cli.Csv;
using DeepExtensions.Cli.Output;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions;

namespace DeepExtensions.Cli.Pipelines;

/// <summary>
/// Scores a CSV file with a saved model and computes ML.NET's metrics for its task. Train (on the
/// model it just saved, read back) and evaluate both go through here, so they print the same numbers.
/// </summary>
public static class ModelEvaluation
{
    /// <param name="fileLabel">The file's label column (the model's label name unless --label says otherwise).</param>
    public static MetricsReport Evaluate(MLContext mlContext, LoadedModel model, CsvTable table, string option, string fileLabel)
    {
        var info = model.Info;
        DataChecks.Check(table, option, model.Columns, info, fileLabel, labelRequired: true);
        if (info.Task == PredictionTask.BinaryClassification && ClassLabels.DistinctValues(table, table.IndexOf(fileLabel)).Count < 2)
            throw CliException.DataError($"{option} '{table.Path}' has only one class in label '{fileLabel}': binary metrics such as AreaUnderRocCurve need both");

        var data = TabularPipeline.CreateLoader(mlContext, model.Columns, info.Label, table, fileLabel).Load(table.Path);
        var scored = model.Model.Transform(data);
        const string label = TabularPipeline.LabelColumn;

        IEnumerable<(string, double)> metrics;
        switch (info.Task)
        {
            case PredictionTask.BinaryClassification:
                var binary = mlContext.BinaryClassification.Evaluate(scored, label);
                metrics = new[]
                {
                    ("Accuracy", binary.Accuracy),
                    ("AreaUnderRocCurve", binary.AreaUnderRocCurve),
                    ("AreaUnderPrecisionRecallCurve", binary.AreaUnderPrecisionRecallCurve),
                    ("F1Score", binary.F1Score),
                    ("LogLoss", binary.LogLoss),
                    ("LogLossReduction", binary.LogLossReduction),
                    ("PositivePrecision", binary.PositivePrecision),
                    ("PositiveRecall", binary.PositiveRecall),
                    ("NegativePrecision", binary.NegativePrecision),
                    ("NegativeRecall", binary.NegativeRecall),
                    ("Entropy", binary.Entropy),
                };
                break;
            case PredictionTask.MulticlassClassification:
                var multiclass = mlContext.MulticlassClassification.Evaluate(scored, label);
                metrics = new[]
                {
                    ("MicroAccuracy", multiclass.MicroAccuracy),
                    ("MacroAccuracy", multiclass.MacroAccuracy),
                    ("LogLoss", multiclass.LogLoss),
                    ("LogLossReduction", multiclass.LogLossReduction),
                };
                break;
            default:
                var regression = mlContext.Regression.Evaluate(scored, label);
                metrics = new[]
                {
                    ("RSquared", regression.RSquared),
                    ("MeanAbsoluteError", regression.MeanAbsoluteError),
                    ("RootMeanSquaredError", regression.RootMeanSquaredError),
                    ("MeanSquaredError", regression.MeanSquaredError),
                    ("LossFunction", regression.LossFunction),
                };
                break;
        }
        return new MetricsReport(info.TaskName, table.Rows.Count, metrics.ToArray());
    }

    /// <summary>Scores labelled images with an image classification model: the metrics and the confusion matrix.</summary>
    public static (MetricsReport Report, ConfusionMatrix Confusion) EvaluateImages(MLContext mlContext, LoadedModel model, IDataView data)
    {
        var scored = model.Model.Transform(data);
        MulticlassClassificationMetrics metrics;
        try
        {
            metrics = mlContext.MulticlassClassification.Evaluate(scored, ImagePipeline.LabelColumn);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw CliException.DataError($"the images cannot be scored: {Messages.OneLine(e)}");
        }
        int rows = (int)Math.Round(metrics.ConfusionMatrix.Counts.Sum(row => row.Sum()));
        var values = new (string, double)[]
        {
            ("MicroAccuracy", metrics.MicroAccuracy),
            ("MacroAccuracy", metrics.MacroAccuracy),
            ("LogLoss", metrics.LogLoss),
            ("LogLossReduction", metrics.LogLossReduction),
        };
        return (new MetricsReport(model.Info.TaskName, rows, values), metrics.ConfusionMatrix);
    }

    /// <summary>
    /// Scores a detection data set with an object detection model: COCO's metrics (crowd and VOC-difficult objects
    /// ignored), with the classes matched by name.
    /// </summary>
    public static DetectionMetrics EvaluateDetection(MLContext mlContext, LoadedModel model, DetectionDataset data)
    {
        try
        {
            var scored = model.Model.Transform(data.ToDataView());
            return mlContext.ObjectDetection().Evaluate(scored, DetectionDataView.LabelColumnName, DetectionDataView.BoxColumnName,
                crowdColumnName: DetectionDataView.IsCrowdColumnName);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidDataException or FormatException)
        {
            throw CliException.DataError($"the images cannot be scored: {Messages.OneLine(e)}");
        }
    }
}
