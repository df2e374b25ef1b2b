using Microsoft.ML.DeepExtensions.Internals;

namespace Microsoft.ML.DeepExtensions.Vision.Segmentation;

/// <summary>
/// The front door to semantic segmentation on ML.NET's transforms catalog:
/// <c>mlContext.Transforms.SegmentImages("deeplabv3.onnx", SemanticSegmentationKind.DeepLabV3)</c>.
/// </summary>
public static class SemanticSegmentationCatalog
{
    /// <summary>
    /// Labels every pixel of an image column with a torchvision FCN, DeepLabV3 or LRASPP model exported to ONNX (see
    /// <see cref="SemanticSegmenter"/>). Adds <c>PredictedClassMap</c> (keys over the class names, row-major, the image's size).
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="modelPath">The ONNX file.</param>
    /// <param name="kind">The model family. Defaults to <see cref="SemanticSegmentationKind.DeepLabV3"/>.</param>
    /// <param name="imageColumnName">The <c>MLImage</c> column (from <c>LoadImages</c>). Defaults to <c>Image</c>.</param>
    /// <param name="classNamesFile">One class name per line; defaults to null (the model's metadata, or VOC's 21 classes for a 21-class model).</param>
    public static SemanticSegmentationEstimator SegmentImages(this TransformsCatalog catalog, string modelPath,
        SemanticSegmentationKind kind = SemanticSegmentationKind.DeepLabV3, string imageColumnName = "Image", string? classNamesFile = null) =>
        catalog.SegmentImages(new SemanticSegmenter.Options { ModelPath = modelPath, Kind = kind, ImageColumnName = imageColumnName, ClassNamesFile = classNamesFile });

    /// <summary>Labels every pixel of an image column, with all options.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">The settings; see <see cref="SemanticSegmenter.Options"/> for the defaults.</param>
    public static SemanticSegmentationEstimator SegmentImages(this TransformsCatalog catalog, SemanticSegmenter.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new(SemanticSegmenter.Create(MlNetInternals.GetEnvironment(catalog), options));
    }
}
