using Microsoft.ML.DeepExtensions.Internals;

namespace Microsoft.ML.DeepExtensions.Vision.Haar.Training;

/// <summary>Haar cascade training on ML.NET's <c>mlContext.Transforms</c>.</summary>
public static class HaarTrainingCatalog
{
    /// <summary>
    /// Trains a Haar cascade detector (see <see cref="HaarCascadeEstimator"/>) on positive windows in an image column,
    /// mining negatives from object-free background images:
    /// <code>
    /// var positives = ml.Transforms.LoadImages("Image", positiveFolder, "Path").Fit(list).Transform(list);
    /// var detector = ml.Transforms.TrainHaarCascade(Directory.GetFiles(negativeFolder), windowWidth: 20, windowHeight: 20).Fit(positives);
    /// detector.Cascade.Save("cascade.xml");   // OpenCV's format
    /// </code>
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="negativeImagePaths">Background image files without the object, each at least the window's size.</param>
    /// <param name="imageColumnName">The column with the positive windows, and the column the detector reads. Defaults to <c>Image</c>.</param>
    /// <param name="windowWidth">Detection window width in pixels. Defaults to 24.</param>
    /// <param name="windowHeight">Detection window height in pixels. Defaults to 24.</param>
    /// <param name="stageCount">The most stages to train. Defaults to 10.</param>
    public static HaarCascadeEstimator TrainHaarCascade(this TransformsCatalog catalog, IReadOnlyList<string> negativeImagePaths,
        string imageColumnName = "Image", int windowWidth = 24, int windowHeight = 24, int stageCount = 10) =>
        TrainHaarCascade(catalog, new HaarCascadeEstimator.Options
        {
            NegativeImagePaths = negativeImagePaths,
            ImageColumnName = imageColumnName,
            WindowWidth = windowWidth,
            WindowHeight = windowHeight,
            StageCount = stageCount,
        });

    /// <summary>Trains a Haar cascade detector; see <see cref="HaarCascadeEstimator.Options"/> for every option and its default.</summary>
    public static HaarCascadeEstimator TrainHaarCascade(this TransformsCatalog catalog, HaarCascadeEstimator.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new HaarCascadeEstimator(MlNetInternals.GetEnvironment(catalog), options);
    }
}
