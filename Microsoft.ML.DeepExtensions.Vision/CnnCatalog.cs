using Microsoft.ML.DeepExtensions.Internals;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Classification;

namespace Microsoft.ML.DeepExtensions.Vision;

/// <summary>
/// The front door to the CNN image classifier, on ML.NET's multiclass catalog:
/// <c>mlContext.MulticlassClassification.Trainers.Cnn(...)</c>.
/// </summary>
public static class CnnCatalog
{
    /// <summary>A convolutional network for image classification (key label; outputs <c>Score</c> per class and a key <c>PredictedLabel</c>).</summary>
    /// <param name="catalog">The multiclass classification trainers catalog.</param>
    /// <param name="labelColumnName">The key label column.</param>
    /// <param name="featureColumnName">An image column of known size, or a known-size vector of planar pixels.</param>
    /// <param name="architecture">An <see cref="ImageArchitectures"/> name; defaults to <c>small-cnn</c>.</param>
    /// <param name="epochs">Passes over the training data; defaults to 10.</param>
    public static CnnTrainer Cnn(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string architecture = "small-cnn", int epochs = 10) =>
        catalog.Cnn(new CnnTrainer.Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            Architecture = ImageArchitectures.Get(architecture),
            Epochs = epochs,
        });

    /// <summary>A convolutional network for image classification, with all options.</summary>
    public static CnnTrainer Cnn(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, CnnTrainer.Options options) =>
        new(MlNetInternals.GetEnvironment(catalog), options);
}
