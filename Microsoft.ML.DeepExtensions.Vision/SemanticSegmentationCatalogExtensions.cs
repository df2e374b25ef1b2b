using Microsoft.ML.DeepExtensions.Vision.Segmentation;

namespace Microsoft.ML.DeepExtensions.Vision;

/// <summary>The entry point of DeepExtensions' semantic segmentation operations on <see cref="MLContext"/>.</summary>
public static class SemanticSegmentationCatalogExtensions
{
    /// <summary>Semantic segmentation operations: <c>mlContext.SemanticSegmentation().Evaluate(scored)</c>.</summary>
    public static SemanticSegmentationOperations SemanticSegmentation(this MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return new SemanticSegmentationOperations(mlContext);
    }
}
