using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.DeepExtensions.Vision.Haar.Training;

/// <summary>
/// Trains a Haar cascade (Viola &amp; Jones) as <c>opencv_traincascade</c> does: Gentle AdaBoost over
/// decision stumps on Haar features (<see cref="GentleAdaBoost"/>), stage by stage, each stage accepting at
/// least <see cref="Options.MinHitRate"/> of the positives and at most <see cref="Options.MaxFalseAlarmRate"/>
/// of its negatives, with hard negatives mined from the background images between stages. Feature
/// values are computed exactly as the detector computes them, so the cascade means the same at detection
/// time; it can be written in OpenCV's XML format (<see cref="HaarCascade.Save(string)"/>) and is loaded
/// by OpenCV's <c>CascadeClassifier</c>.
/// </summary>
/// <remarks>
/// <para>Input: the data given to <c>Fit</c> holds the positive windows in an image column (<see cref="MLImage"/>,
/// from <c>LoadImages</c>), one object per image, cropped as the detector should box it; each is converted to
/// gray (OpenCV's weights) and resampled to the window. Windows too flat for the detector to evaluate
/// (a standard deviation of at most 10 grey levels) are left out. Negatives come from object-free background
/// images (<see cref="Options.NegativeImagePaths"/> or <see cref="Options.NegativeImages"/>).</para>
/// <para>Progress goes to the MLContext's log and to <see cref="Options.Progress"/> after each stage;
/// <see cref="Options.CancellationToken"/> is checked between features and stages.</para>
/// </remarks>
public sealed partial class HaarCascadeEstimator : IEstimator<HaarCascadeDetector>
{
    // The class a trained cascade detects unless Detection.ClassName names it (as for an in-memory cascade).
    private const string DefaultClassName = "object";

    private readonly IHost _host;
    private readonly Options _options;

    /// <summary>Creates the estimator; prefer <c>ml.Transforms.TrainHaarCascade(...)</c>.</summary>
    public HaarCascadeEstimator(IHostEnvironment env, Options options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _host = env.Register(nameof(HaarCascadeEstimator));
        _options = options;
    }

    /// <summary>The reports of the stages trained by the last <see cref="TrainCascade"/> or <c>Fit</c>.</summary>
    public IReadOnlyList<HaarStageProgress> TrainingHistory { get; private set; } = Array.Empty<HaarStageProgress>();

    /// <summary>Why the last training stopped: all stages trained, or the required false-alarm rate reached.</summary>
    public string? StopReason { get; private set; }

    /// <summary>
    /// Trains a cascade on the positive windows of <paramref name="input"/> and returns its detector, which reads
    /// the same image column, persists in model.zip like any cascade detector and exposes the cascade
    /// (<see cref="HaarCascadeDetector.Cascade"/>, saved as OpenCV XML by <see cref="HaarCascade.Save(string)"/>).
    /// </summary>
    public HaarCascadeDetector Fit(IDataView input) => HaarCatalog.CreateDetector(_host, DetectorOptions(TrainCascade(input)));

    /// <summary>Checks the image column and reports the detection columns the fitted detector adds.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var d = _options.Detection;
        var columns = new DetectionColumns(new[] { d.ClassName ?? DefaultClassName }, d.PredictedLabelColumnName, d.ScoreColumnName, d.PredictedBoundingBoxesColumnName);
        return ObjectDetectionEstimator<HaarCascadeDetector>.OutputSchema(inputSchema, _options.ImageColumnName, columns);
    }

    /// <summary>Trains the cascade on the positive windows of <paramref name="input"/> and returns it (what <see cref="Fit"/> wraps in a detector).</summary>
    public HaarCascade TrainCascade(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var positives = ReadImages(input, _options.ImageColumnName, "positive");
        if (positives.Count == 0)
            throw new ArgumentException($"The data has no rows: training needs positive windows in column '{_options.ImageColumnName}'.", nameof(input));
        var negatives = _options.NegativeImages is { } view
            ? ReadImages(view, _options.NegativeImageColumnName, "negative")
            : ReadFiles(_options.NegativeImagePaths!);
        if (negatives.Count == 0)
            throw new ArgumentException("No negative images were given: training needs background images without the object.", nameof(Options.NegativeImagePaths));
        foreach (var image in negatives)
        {
            if (image.Width < _options.WindowWidth || image.Height < _options.WindowHeight)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Negative image {image.Name} is {image.Width}x{image.Height}, smaller than the {_options.WindowWidth}x{_options.WindowHeight} window."), nameof(Options.NegativeImagePaths));
        }

        var settings = new HaarTrainingSettings(_options.WindowWidth, _options.WindowHeight, _options.StageCount, _options.MinHitRate,
            _options.MaxFalseAlarmRate, _options.MaxWeakCount, _options.NegativesPerStage, _options.FeatureMode,
            (long)_options.FeatureCacheMegabytes << 20, _options.MaxDegreeOfParallelism, _options.Seed ?? _host.Rand.Next());
        using var channel = _host.Start("TrainHaarCascade");
        var result = HaarCascadeTraining.Train(positives, negatives, settings, _options.Progress,
            message => channel.Info(MessageSensitivity.None, message), _options.CancellationToken);
        TrainingHistory = result.Stages;
        StopReason = result.StopReason;
        return result.Cascade;
    }

    private HaarCascadeDetectorOptions DetectorOptions(HaarCascade cascade)
    {
        var d = _options.Detection;
        return new HaarCascadeDetectorOptions
        {
            Cascade = cascade,
            ImageColumnName = _options.ImageColumnName,
            ClassName = d.ClassName ?? DefaultClassName,
            ScaleFactor = d.ScaleFactor,
            MinNeighbors = d.MinNeighbors,
            MinSize = d.MinSize,
            MaxSize = d.MaxSize,
            MaxDegreeOfParallelism = d.MaxDegreeOfParallelism,
            BatchSize = d.BatchSize,
            PredictedLabelColumnName = d.PredictedLabelColumnName,
            ScoreColumnName = d.ScoreColumnName,
            PredictedBoundingBoxesColumnName = d.PredictedBoundingBoxesColumnName,
        };
    }

    private List<GrayImage> ReadImages(IDataView data, string column, string role)
    {
        var schemaColumn = data.Schema.GetColumnOrNull(column)
            ?? throw new ArgumentOutOfRangeException(column, $"Image column '{column}' of the {role} images not found in the data. Available columns: {string.Join(", ", data.Schema.Select(c => c.Name))}.");
        if (schemaColumn.Type is not ImageDataViewType)
            throw new ArgumentOutOfRangeException(column, $"Schema mismatch for column '{column}': expected Image (from LoadImages), got {schemaColumn.Type}.");
        var images = new List<GrayImage>();
        using var cursor = data.GetRowCursor(new[] { schemaColumn });
        var getter = cursor.GetGetter<MLImage>(schemaColumn);
        MLImage image = null!;
        while (cursor.MoveNext())
        {
            _options.CancellationToken.ThrowIfCancellationRequested();
            string name = $"'{column}' row {cursor.Position}";
            getter(ref image);
            if (image is null)
                throw new InvalidDataException($"The {role} image in column {name} is missing.");
            images.Add(GrayImage.FromMLImage(image, name));
        }
        return images;
    }

    private List<GrayImage> ReadFiles(IReadOnlyList<string> paths)
    {
        var images = new List<GrayImage>(paths.Count);
        foreach (string path in paths)
        {
            _options.CancellationToken.ThrowIfCancellationRequested();
            if (!File.Exists(path))
                throw new FileNotFoundException($"Negative image '{path}' does not exist.", path);
            MLImage image;
            try
            {
                image = Imaging.ImageFile.Load(path);
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                throw new InvalidDataException($"Negative image '{path}' cannot be read as an image: {e.Message}", e);
            }
            using (image)
                images.Add(GrayImage.FromMLImage(image, $"'{path}'"));
        }
        return images;
    }
}
