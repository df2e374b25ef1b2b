using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Classification;
using Microsoft.ML.Transforms;

namespace DeepExtensions.Cli.Pipelines;

/// <summary>
/// The pipeline <c>deepext train --task image-classification</c> fits and saves: label to key (in
/// the data set's class order) → for image folders, load and resize the images → the CNN → the
/// predicted key back to the class name. IDX pixels go to the CNN as they are.
/// </summary>
public static class ImagePipeline
{
    public const string LabelColumn = "Label";
    public const string FeaturesColumn = "Features";
    public const string ImagePathColumn = "ImagePath";
    public const string ImageColumn = "Image";

    /// <summary>The column the CNN reads for this kind of data.</summary>
    public static string FeatureColumnFor(ImageSourceKind kind) => kind == ImageSourceKind.Idx ? FeaturesColumn : ImageColumn;

    /// <summary>Label to key, with the keys in <paramref name="classes"/>' order (not the order rows happen to come in).</summary>
    public static IEstimator<ITransformer> LabelToKey(MLContext mlContext, IReadOnlyList<string> classes)
    {
        var keys = mlContext.Data.LoadFromEnumerable(classes.Select(c => new ClassName { Label = c }));
        return mlContext.Transforms.Conversion.MapValueToKey(LabelColumn, keyData: keys, addKeyValueAnnotationsAsText: false);
    }

    /// <summary>For image folders: read each file and resize it to the network's input (nothing to do for IDX pixels).</summary>
    public static IEstimator<ITransformer>? LoadImages(MLContext mlContext, ImageSourceKind kind, ImageShape shape) =>
        kind == ImageSourceKind.Idx
            ? null
            : mlContext.Transforms.LoadImages(ImageColumn, imageFolder: "", ImagePathColumn)
                .Append(mlContext.Transforms.ResizeImages(ImageColumn, shape.Width, shape.Height, ImageColumn));

    public static IEstimator<ITransformer> PredictedKeyToLabel(MLContext mlContext) =>
        mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel");

    private sealed class ClassName
    {
        public string Label { get; set; } = "";
    }
}
