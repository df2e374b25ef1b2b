namespace Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;

/// <summary>The checks on the thresholds every ONNX detector takes.</summary>
internal static class DetectorThresholds
{
    public static void Check(float confidence, float iou, int maxDetections)
    {
        if (!(confidence >= 0 && confidence < 1))
            throw new ArgumentOutOfRangeException("ConfidenceThreshold", confidence, $"ConfidenceThreshold must be in [0, 1), got {confidence}.");
        if (!(iou > 0 && iou <= 1))
            throw new ArgumentOutOfRangeException("IouThreshold", iou, $"IouThreshold must be in (0, 1], got {iou}.");
        if (maxDetections <= 0)
            throw new ArgumentOutOfRangeException("MaxDetections", maxDetections, $"MaxDetections must be at least 1, got {maxDetections}.");
    }
}
