using Microsoft.ML.DeepExtensions.Vision.Onnx;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;

/// <summary>
/// The settings an ONNX object detector shares with the others: its output columns (<see cref="DetectionColumns"/>),
/// named as ML.NET's object-detection trainer names them, on top of <see cref="OnnxScorerOptions"/>.
/// </summary>
public abstract class OnnxDetectorOptions : OnnxScorerOptions
{
    /// <summary>Defaults to <c>PredictedLabel</c>.</summary>
    public string PredictedLabelColumnName { get; set; } = DetectionColumns.DefaultPredictedLabelColumnName;

    /// <summary>Defaults to <c>Score</c>.</summary>
    public string ScoreColumnName { get; set; } = DetectionColumns.DefaultScoreColumnName;

    /// <summary>Defaults to <c>PredictedBoundingBoxes</c>.</summary>
    public string PredictedBoundingBoxesColumnName { get; set; } = DetectionColumns.DefaultPredictedBoundingBoxesColumnName;

    /// <summary>The instance masks column of the detectors that predict masks (each detection's binary mask cropped to its
    /// box, see <see cref="DetectionColumns"/>); not added by the others. Defaults to <c>PredictedMasks</c>.</summary>
    public string PredictedMasksColumnName { get; set; } = DetectionColumns.DefaultPredictedMasksColumnName;
}
