using Microsoft.ML.DeepExtensions.Internals;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeepExtensions.Vision.Haar;

/// <summary>Haar cascade detection on ML.NET's <c>mlContext.Transforms</c>.</summary>
public static class HaarCatalog
{
    /// <summary>
    /// Detects objects with an OpenCV Haar cascade (Viola-Jones), giving the same boxes as OpenCV's
    /// <c>CascadeClassifier::detectMultiScale</c>:
    /// <code>
    /// var pipeline = ml.Transforms.LoadImages("Image", imageFolder, "Path")
    ///     .Append(ml.Transforms.DetectObjectsWithHaarCascade("/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"));
    /// </code>
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="cascadePath">An OpenCV cascade XML file (current or old Haar format).</param>
    /// <param name="imageColumnName">The input image column. Defaults to <c>Image</c>.</param>
    /// <param name="scaleFactor">Pyramid scale step, greater than 1. Defaults to 1.1.</param>
    /// <param name="minNeighbors">Raw hits a box needs beyond itself; 0 for ungrouped hits. Defaults to 3.</param>
    public static ObjectDetectionEstimator<HaarCascadeDetector> DetectObjectsWithHaarCascade(this TransformsCatalog catalog,
        string cascadePath, string imageColumnName = "Image", double scaleFactor = 1.1, int minNeighbors = 3) =>
        DetectObjectsWithHaarCascade(catalog, new HaarCascadeDetectorOptions
        {
            CascadePath = cascadePath,
            ImageColumnName = imageColumnName,
            ScaleFactor = scaleFactor,
            MinNeighbors = minNeighbors,
        });

    /// <summary>Detects objects with a Haar cascade; see <see cref="HaarCascadeDetectorOptions"/>.</summary>
    public static ObjectDetectionEstimator<HaarCascadeDetector> DetectObjectsWithHaarCascade(this TransformsCatalog catalog,
        HaarCascadeDetectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new ObjectDetectionEstimator<HaarCascadeDetector>(CreateDetector(MlNetInternals.GetEnvironment(catalog), options));
    }

    /// <summary>The detector for these options (also what a trained cascade's estimator returns).</summary>
    internal static HaarCascadeDetector CreateDetector(IHostEnvironment env, HaarCascadeDetectorOptions options)
    {
        var cascade = options.Cascade;
        string className = options.ClassName ?? "object";
        if (cascade is null)
        {
            if (string.IsNullOrWhiteSpace(options.CascadePath))
                throw new ArgumentException($"{nameof(options.CascadePath)} must name a cascade XML file (or set {nameof(options.Cascade)}).", nameof(options));
            cascade = HaarCascade.Load(options.CascadePath);
            if (options.ClassName is null)
                className = DefaultClassName(options.CascadePath);
        }
        var detection = options.ToDetectionOptions();
        DeepExtensionsRegistration.Register(env);
        var columns = new DetectionColumns(new[] { className }, options.PredictedLabelColumnName, options.ScoreColumnName,
            options.PredictedBoundingBoxesColumnName);
        return new HaarCascadeDetector(env, cascade, options.ImageColumnName, columns, options.BatchSize, detection);
    }

    private static string DefaultClassName(string cascadePath)
    {
        string name = Path.GetFileNameWithoutExtension(cascadePath);
        if (name.StartsWith("haarcascade_", StringComparison.OrdinalIgnoreCase) && name.Length > "haarcascade_".Length)
            name = name["haarcascade_".Length..];
        return string.IsNullOrWhiteSpace(name) ? "object" : name;
    }
}
