using Microsoft.ML.DeepExtensions.Internals;
using Microsoft.ML.DeepExtensions.Trainers;

namespace Microsoft.ML.DeepExtensions;

/// <summary>
/// The front door to the multi-layer perceptron trainers, on ML.NET's own catalogs:
/// <c>mlContext.BinaryClassification.Trainers.Mlp(...)</c> and so on.
/// </summary>
public static class MlpCatalog
{
    /// <summary>A multi-layer perceptron for binary classification (Boolean label; outputs <c>Score</c>, <c>Probability</c>, <c>PredictedLabel</c>).</summary>
    /// <param name="catalog">The binary classification trainers catalog.</param>
    /// <param name="labelColumnName">The Boolean label column.</param>
    /// <param name="featureColumnName">The known-size float vector of features.</param>
    /// <param name="hiddenLayers">Units of each hidden layer; defaults to one layer of 100.</param>
    /// <param name="epochs">The most passes over the data; defaults to 200 (early stopping usually ends sooner).</param>
    public static MlpTrainer Mlp(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", int[]? hiddenLayers = null, int epochs = 200) =>
        catalog.Mlp(Simple(labelColumnName, featureColumnName, hiddenLayers, epochs));

    /// <summary>A multi-layer perceptron for binary classification, with all options.</summary>
    public static MlpTrainer Mlp(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, MlpTrainer.Options options) =>
        new(MlNetInternals.GetEnvironment(catalog), PredictionTask.BinaryClassification, options);

    /// <summary>A multi-layer perceptron for multiclass classification (key label; outputs <c>Score</c> per class and a key <c>PredictedLabel</c>).</summary>
    /// <inheritdoc cref="Mlp(BinaryClassificationCatalog.BinaryClassificationTrainers, string, string, int[], int)"/>
    public static MlpTrainer Mlp(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", int[]? hiddenLayers = null, int epochs = 200) =>
        catalog.Mlp(Simple(labelColumnName, featureColumnName, hiddenLayers, epochs));

    /// <summary>A multi-layer perceptron for multiclass classification, with all options.</summary>
    public static MlpTrainer Mlp(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, MlpTrainer.Options options) =>
        new(MlNetInternals.GetEnvironment(catalog), PredictionTask.MulticlassClassification, options);

    /// <summary>A multi-layer perceptron for regression (Single label; outputs <c>Score</c>).</summary>
    /// <inheritdoc cref="Mlp(BinaryClassificationCatalog.BinaryClassificationTrainers, string, string, int[], int)"/>
    public static MlpTrainer Mlp(this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", int[]? hiddenLayers = null, int epochs = 200) =>
        catalog.Mlp(Simple(labelColumnName, featureColumnName, hiddenLayers, epochs));

    /// <summary>A multi-layer perceptron for regression, with all options.</summary>
    public static MlpTrainer Mlp(this RegressionCatalog.RegressionTrainers catalog, MlpTrainer.Options options) =>
        new(MlNetInternals.GetEnvironment(catalog), PredictionTask.Regression, options);

    private static MlpTrainer.Options Simple(string label, string features, int[]? hiddenLayers, int epochs) => new()
    {
        LabelColumnName = label,
        FeatureColumnName = features,
        HiddenLayers = hiddenLayers ?? new[] { 100 },
        Epochs = epochs,
    };
}
