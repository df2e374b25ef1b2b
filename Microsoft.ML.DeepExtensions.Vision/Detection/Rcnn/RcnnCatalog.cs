using Microsoft.ML.DeepExtensions.Internals;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Rcnn;

/// <summary>
/// The front door to torchvision R-CNN detection on ML.NET's transforms catalog:
/// <c>mlContext.Transforms.DetectObjectsRcnn("fasterrcnn.onnx", "coco_labels.txt")</c>.
/// </summary>
public static class RcnnCatalog
{
    /// <summary>
    /// Detects objects in an image column with torchvision's Faster or Mask R-CNN exported to ONNX (see
    /// <see cref="RcnnObjectDetector"/>). Adds <c>PredictedLabel</c>, <c>Score</c> and <c>PredictedBoundingBoxes</c>.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="modelPath">The ONNX file.</param>
    /// <param name="classNamesFile">One label name per line, line 1 for label 0 (the background); null to read a
    /// <c>names</c> metadata entry. Defaults to null.</param>
    /// <param name="variant">Faster or Mask R-CNN. Defaults to <see cref="RcnnVariant.FasterRcnn"/>.</param>
    /// <param name="imageColumnName">The <c>MLImage</c> column. Defaults to <c>Image</c>.</param>
    /// <param name="confidenceThreshold">Minimum score kept. Defaults to 0.5.</param>
    public static ObjectDetectionEstimator<RcnnObjectDetector> DetectObjectsRcnn(this TransformsCatalog catalog, string modelPath,
        string? classNamesFile = null, RcnnVariant variant = RcnnVariant.FasterRcnn, string imageColumnName = "Image", float confidenceThreshold = 0.5f) =>
        catalog.DetectObjectsRcnn(new RcnnObjectDetector.Options
        {
            ModelPath = modelPath,
            ClassNamesFile = classNamesFile,
            Variant = variant,
            ImageColumnName = imageColumnName,
            ConfidenceThreshold = confidenceThreshold,
        });

    /// <summary>Detects objects with torchvision's Faster or Mask R-CNN exported to ONNX, with all options.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">The settings; see <see cref="RcnnObjectDetector.Options"/> for the defaults.</param>
    public static ObjectDetectionEstimator<RcnnObjectDetector> DetectObjectsRcnn(this TransformsCatalog catalog, RcnnObjectDetector.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new(RcnnObjectDetector.Create(MlNetInternals.GetEnvironment(catalog), options));
    }
}
