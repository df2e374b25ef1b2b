namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo.Training;

/// <summary>What a responsible prediction's objectness is trained towards.</summary>
public enum YoloObjectnessTarget
{
    /// <summary>
    /// The cheat sheet's confidence, Pr(object) × IoU: the IoU of the predicted box with its ground truth (detached),
    /// so the score also ranks how well the box fits.
    /// </summary>
    Iou,

    /// <summary>1, as Darknet's YOLOv3.</summary>
    One,
}
