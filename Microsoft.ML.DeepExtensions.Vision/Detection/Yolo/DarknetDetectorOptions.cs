using Microsoft.ML.DeepExtensions.Backend;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;

/// <summary>How <see cref="DarknetYoloDetector.FromDarknet"/> runs a Darknet model in a pipeline.</summary>
public sealed class DarknetDetectorOptions
{
    /// <summary>The input image column (<c>LoadImages</c>). Defaults to <c>Image</c>.</summary>
    public string ImageColumnName = "Image";

    /// <summary>Detections scoring (objectness × class probability) at most this are dropped. Defaults to 0.25 (Darknet's <c>detector test</c>).</summary>
    public float ConfidenceThreshold = 0.25f;

    /// <summary>Class-aware NMS drops a detection overlapping a better one of its class by more than this IoU. Defaults to 0.45 (Darknet's).</summary>
    public float IouThreshold = 0.45f;

    /// <summary>The most detections per image. Defaults to 100.</summary>
    public int MaxDetections = 100;

    /// <summary>Images per forward pass in <c>Transform</c>. Defaults to 16.</summary>
    public int BatchSize = 16;

    /// <summary>Where the network runs. Defaults to <see cref="ComputeDevice.Auto"/>.</summary>
    public ComputeDevice Device = ComputeDevice.Auto;

    /// <summary>CUDA device index. Defaults to null: <c>MLContext.GpuDeviceId</c>, else 0.</summary>
    public int? CudaDeviceIndex;

    /// <summary>Defaults to <c>PredictedLabel</c>.</summary>
    public string PredictedLabelColumnName = DetectionColumns.DefaultPredictedLabelColumnName;

    /// <summary>Defaults to <c>Score</c>.</summary>
    public string ScoreColumnName = DetectionColumns.DefaultScoreColumnName;

    /// <summary>Defaults to <c>PredictedBoundingBoxes</c>.</summary>
    public string PredictedBoundingBoxesColumnName = DetectionColumns.DefaultPredictedBoundingBoxesColumnName;
}
