namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo.Training;

/// <summary>How the YOLO loss regresses a responsible prediction's box onto its ground truth.</summary>
public enum YoloBoxLoss
{
    /// <summary>
    /// YOLOv3's: squared error of the centre's sigmoid offsets within the cell and of the log-space size relative to
    /// the anchor, weighted by <c>2 - w·h</c> (box area relative to the image) so small boxes count more.
    /// </summary>
    SquaredError,

    /// <summary>Generalized IoU loss of the decoded box (<see cref="Boxes.BoxIouLoss.Generalized"/>), weighted as above.</summary>
    GIoU,

    /// <summary>Complete IoU loss of the decoded box (<see cref="Boxes.BoxIouLoss.Complete"/>), weighted as above.</summary>
    CIoU,
}
