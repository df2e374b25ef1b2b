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

    /// <summary>Whether the model writes a <c>PredictedMasks</c> column (a Mask R-CNN) on this data.</summary>
    public static bool PredictsMasks(LoadedModel model, DetectionDataset data) =>
        model.Model.GetOutputSchema(data.ToDataView().Schema).GetColumnOrNull(Microsoft.ML.DeepExtensions.Vision.Detection.DetectionColumns.DefaultPredictedMasksColumnName) is not null;

    /// <summary>The column of ground-truth masks <see cref="EvaluateDetectionMasks"/> adds: each object's mask over its box rounded out, as <c>PredictedMasks</c>.</summary>
    private const string TruthMasksColumn = "GroundTruthMasks";

    /// <summary>
    /// Scores a detection data set with a model that predicts masks (Mask R-CNN): COCO's segmentation metrics (mask IoU,
    /// a ground truth's area its mask's; crowd objects ignored), each object's outline rasterized at its image's size.
    /// </summary>
    /// <param name="option">The option that named the data, for messages.</param>
    public static DetectionMetrics EvaluateDetectionMasks(MLContext mlContext, LoadedModel model, DetectionDataset data, string option)
    {
        var missing = data.Images.SelectMany(image => image.Objects.Select((o, k) => (image, o, k))).FirstOrDefault(x => x.o.Segmentation is null);
        if (missing.image is not null)
            throw CliException.DataError($"{option}: object {missing.k} of image '{missing.image.Path}' has no outline: mask metrics need every object's segmentation (COCO 'segmentation' or YOLO segment lines)");
        try
        {
            var view = data.ToDataView();
            var withMasks = mlContext.Transforms.CustomMapping<TruthRow, TruthMasks>(RasterizeOutlines, contractName: null).Fit(view).Transform(view);
            var scored = model.Model.Transform(withMasks);
            return mlContext.ObjectDetection().Evaluate(scored, DetectionDataView.LabelColumnName, DetectionDataView.BoxColumnName,
                crowdColumnName: DetectionDataView.IsCrowdColumnName, masksColumnName: TruthMasksColumn);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidDataException or FormatException)
        {
            throw CliException.DataError($"the images' masks cannot be scored: {Messages.OneLine(e)}");
        }
    }

    /// <summary>Each object's outline as a binary mask over its box rounded out to whole pixels (columns floor(x0) to ceil(x1) - 1), row-major, one after the other.</summary>
    private static void RasterizeOutlines(TruthRow row, TruthMasks result)
    {
        int count = row.Box.Length / 4;
        var outlines = SegmentationColumn.Decode(row.Segmentation, count, row.ImageWidth, row.ImageHeight);
        var pixels = new List<byte>();
        for (int k = 0; k < count; k++)
        {
            var mask = outlines[k]!.ToMask(row.ImageWidth, row.ImageHeight);
            int left = (int)MathF.Floor(row.Box[4 * k]), top = (int)MathF.Floor(row.Box[4 * k + 1]);
            int width = Math.Max(0, (int)MathF.Ceiling(row.Box[4 * k + 2]) - left), height = Math.Max(0, (int)MathF.Ceiling(row.Box[4 * k + 3]) - top);
            for (int y = top; y < top + height; y++)
            {
                for (int x = left; x < left + width; x++)
                    pixels.Add(mask.Contains(x, y) ? (byte)1 : (byte)0);
            }
        }
        result.GroundTruthMasks = pixels.ToArray();
    }

    private sealed class TruthRow
    {
        [ColumnName(DetectionDataView.SegmentationColumnName), VectorType]
        public float[] Segmentation { get; set; } = Array.Empty<float>();

        [ColumnName(DetectionDataView.BoxColumnName), VectorType]
        public float[] Box { get; set; } = Array.Empty<float>();

        [ColumnName(DetectionDataView.ImageWidthColumnName)]
        public int ImageWidth { get; set; }

        [ColumnName(DetectionDataView.ImageHeightColumnName)]
        public int ImageHeight { get; set; }
    }

    private sealed class TruthMasks
    {
        [ColumnName(TruthMasksColumn), VectorType]
        public byte[] GroundTruthMasks { get; set; } = Array.Empty<byte>();
    }
}
