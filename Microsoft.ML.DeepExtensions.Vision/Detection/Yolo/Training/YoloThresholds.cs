namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo.Training;

/// <summary>How a trained YOLO network's candidates become detections.</summary>
/// <param name="Confidence">Candidates scoring (objectness × class probability) at most this are dropped.</param>
/// <param name="Iou">Class-aware NMS drops a box overlapping a better one of its class by more than this IoU.</param>
/// <param name="MaxDetections">The most detections kept per image.</param>
internal readonly record struct YoloThresholds(float Confidence, float Iou, int MaxDetections);
