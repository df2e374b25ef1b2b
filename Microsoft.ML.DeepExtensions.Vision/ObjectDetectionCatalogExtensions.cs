using Microsoft.ML.DeepExtensions.Vision.Detection;

namespace Microsoft.ML.DeepExtensions.Vision;

/// <summary>The entry point of DeepExtensions' object detection on <see cref="MLContext"/>.</summary>
public static class ObjectDetectionCatalogExtensions
{
    /// <summary>Object detection operations: <c>mlContext.ObjectDetection().Evaluate(scored)</c>.</summary>
    public static ObjectDetectionCatalog ObjectDetection(this MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return new ObjectDetectionCatalog(mlContext);
    }
}
