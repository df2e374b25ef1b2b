using Microsoft.ML.DeepExtensions.Vision.Evaluation;

namespace Microsoft.ML.DeepExtensions.Vision.Detection;

/// <summary>
/// Object detection operations of an <see cref="MLContext"/>, reached with <c>mlContext.ObjectDetection()</c>
/// (<c>using Microsoft.ML.DeepExtensions.Vision;</c>), as <c>mlContext.Regression</c> holds regression's.
/// </summary>
public sealed class ObjectDetectionCatalog
{
    internal ObjectDetectionCatalog(MLContext mlContext)
    {
        MLContext = mlContext;
        Trainers = new ObjectDetectionTrainers(mlContext);
    }

    /// <summary>The context this catalog belongs to.</summary>
    public MLContext MLContext { get; }

    /// <summary>The detector trainers: <c>Trainers.Yolo(...)</c>.</summary>
    public ObjectDetectionTrainers Trainers { get; }

    /// <summary>
    /// COCO detection metrics (AP@[.50:.95], AP50, AP75, APs/m/l, AR1/10/100, ARs/m/l, per-class AP) and PASCAL
    /// VOC AP@0.5 of a detector's output, one row per image.
    /// </summary>
    /// <param name="data">Scored data: ground truth and the detector's columns on each row.</param>
    /// <param name="labelColumnName">Ground-truth classes: a variable vector of keys (matched to the predictions by
    /// their <c>KeyValues</c> names, or by key when unnamed) or of text (class names). Defaults to <c>Label</c>.</param>
    /// <param name="boundingBoxColumnName">Ground-truth boxes: a vector of Single, x0 y0 x1 y1 per label, in the
    /// same pixels as the predictions. The box area selects the COCO area range. Defaults to <c>Box</c>.</param>
    /// <param name="predictedLabelColumnName">Defaults to <c>PredictedLabel</c>.</param>
    /// <param name="scoreColumnName">Defaults to <c>Score</c>.</param>
    /// <param name="predictedBoundingBoxesColumnName">Defaults to <c>PredictedBoundingBoxes</c>.</param>
    /// <param name="crowdColumnName">Optional vector of Boolean, one per label: crowd regions are ignored as in
    /// COCO (and as VOC's "difficult"). Defaults to null (no crowd regions).</param>
    /// <param name="masksColumnName">Ground-truth masks for instance segmentation metrics: a vector of Byte holding each
    /// label's mask over its box rounded out to whole pixels, one after the other (the layout of <c>PredictedMasks</c>).
    /// When given, the metrics are COCO's segmentation metrics (pycocotools' <c>iouType="segm"</c>: mask IoU, a ground
    /// truth's area is its mask's) read against <paramref name="predictedMasksColumnName"/>. Defaults to null (box metrics).</param>
    /// <param name="predictedMasksColumnName">The detector's masks. Defaults to <c>PredictedMasks</c>.</param>
    public DetectionMetrics Evaluate(IDataView data,
        string labelColumnName = "Label",
        string boundingBoxColumnName = "Box",
        string predictedLabelColumnName = DetectionColumns.DefaultPredictedLabelColumnName,
        string scoreColumnName = DetectionColumns.DefaultScoreColumnName,
        string predictedBoundingBoxesColumnName = DetectionColumns.DefaultPredictedBoundingBoxesColumnName,
        string? crowdColumnName = null,
        string? masksColumnName = null,
        string predictedMasksColumnName = DetectionColumns.DefaultPredictedMasksColumnName)
    {
        var set = DataViewDetectionReader.Read(data, labelColumnName, boundingBoxColumnName, predictedLabelColumnName, scoreColumnName,
            predictedBoundingBoxesColumnName, crowdColumnName, masksColumnName, predictedMasksColumnName);
        return CocoEvaluator.Evaluate(set);
    }
}
