using Microsoft.ML.DeepExtensions.Internals;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;

/// <summary>
/// The front door to YOLO detection on ML.NET's transforms catalog:
/// <c>mlContext.Transforms.DetectObjectsYolo("yolov8n.onnx", YoloVersion.V8)</c>.
/// </summary>
public static class YoloCatalog
{
    /// <summary>
    /// Detects objects in an image column with a YOLO model exported to ONNX (see <see cref="YoloObjectDetector"/>).
    /// Adds <c>PredictedLabel</c> (keys over the class names), <c>Score</c> and <c>PredictedBoundingBoxes</c>
    /// (x0 y0 x1 y1 in the original image's pixels).
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="modelPath">The ONNX file.</param>
    /// <param name="version">Its export layout. Defaults to <see cref="YoloVersion.V8"/>.</param>
    /// <param name="imageColumnName">The <c>MLImage</c> column (from <c>LoadImages</c>). Defaults to <c>Image</c>.</param>
    /// <param name="confidenceThreshold">Minimum score kept. Defaults to 0.25.</param>
    /// <param name="iouThreshold">NMS IoU threshold. Defaults to 0.45.</param>
    /// <param name="classNamesFile">One class name per line; defaults to null (the model's <c>names</c> metadata).</param>
    public static ObjectDetectionEstimator<YoloObjectDetector> DetectObjectsYolo(this TransformsCatalog catalog, string modelPath,
        YoloVersion version = YoloVersion.V8, string imageColumnName = "Image", float confidenceThreshold = 0.25f, float iouThreshold = 0.45f,
        string? classNamesFile = null) =>
        catalog.DetectObjectsYolo(new YoloObjectDetector.Options
        {
            ModelPath = modelPath,
            Version = version,
            ImageColumnName = imageColumnName,
            ConfidenceThreshold = confidenceThreshold,
            IouThreshold = iouThreshold,
            ClassNamesFile = classNamesFile,
        });

    /// <summary>Detects objects with a YOLO model exported to ONNX, with all options.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">The settings; see <see cref="YoloObjectDetector.Options"/> for the defaults.</param>
    public static ObjectDetectionEstimator<YoloObjectDetector> DetectObjectsYolo(this TransformsCatalog catalog, YoloObjectDetector.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new(YoloObjectDetector.Create(MlNetInternals.GetEnvironment(catalog), options));
    }
}
