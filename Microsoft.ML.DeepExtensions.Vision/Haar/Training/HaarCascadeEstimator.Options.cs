using System.Globalization;

namespace Microsoft.ML.DeepExtensions.Vision.Haar.Training;

public sealed partial class HaarCascadeEstimator
{
    /// <summary>
    /// Options of <see cref="HaarCascadeEstimator"/>: what to train on and the cascade's training
    /// parameters, named and defaulted as <c>opencv_traincascade</c>'s (<c>-w -h -numStages -minHitRate
    /// -maxFalseAlarmRate -maxWeakCount -numNeg -mode</c>).
    /// </summary>
    public sealed class Options
    {
        /// <summary>The smallest window accepted: the variance normalisation reads the window less a one-pixel
        /// border, and a feature needs at least 2x2 cells inside it.</summary>
        public const int MinWindowSize = 6;

        /// <summary>
        /// The image column of the data given to <c>Fit</c>, which holds the positive windows (one object per
        /// image, cropped tightly as the detector should box it; any size, resampled to the window with the
        /// detector's bilinear resampling), and the column the fitted detector reads. Defaults to "Image".
        /// </summary>
        public string ImageColumnName { get; set; } = "Image";

        /// <summary>
        /// Files of background images that contain no object, for mining negatives (any format
        /// <c>MLImage</c> reads, each at least the window's size). Defaults to none; give these or <see cref="NegativeImages"/>.
        /// </summary>
        public IReadOnlyList<string>? NegativeImagePaths { get; set; }

        /// <summary>Background images without the object, as data with an image column (<see cref="NegativeImageColumnName"/>). Defaults to null.</summary>
        public IDataView? NegativeImages { get; set; }

        /// <summary>The image column of <see cref="NegativeImages"/>. Defaults to "Image".</summary>
        public string NegativeImageColumnName { get; set; } = "Image";

        /// <summary>Width of the detection window in pixels (<c>-w</c>). Defaults to 24.</summary>
        public int WindowWidth { get; set; } = 24;

        /// <summary>Height of the detection window in pixels (<c>-h</c>). Defaults to 24.</summary>
        public int WindowHeight { get; set; } = 24;

        /// <summary>The most stages to train (<c>-numStages</c>); training stops sooner when the negatives are exhausted. Defaults to 10.</summary>
        public int StageCount { get; set; } = 10;

        /// <summary>Fraction of its positives each stage must accept, in (0, 1] (<c>-minHitRate</c>). Defaults to 0.995.</summary>
        public double MinHitRate { get; set; } = 0.995;

        /// <summary>A stage is complete once at most this fraction of its negatives passes it, in (0, 1) (<c>-maxFalseAlarmRate</c>). Defaults to 0.5.</summary>
        public double MaxFalseAlarmRate { get; set; } = 0.5;

        /// <summary>The most weak classifiers (stumps) per stage (<c>-maxWeakCount</c>). Defaults to 100.</summary>
        public int MaxWeakCount { get; set; } = 100;

        /// <summary>Negative windows mined for each stage (<c>-numNeg</c>). Defaults to 1000.</summary>
        public int NegativesPerStage { get; set; } = 1000;

        /// <summary>Which Haar features to choose from (<c>-mode</c>). Defaults to <see cref="HaarFeatureMode.Basic"/>.</summary>
        public HaarFeatureMode FeatureMode { get; set; } = HaarFeatureMode.Basic;

        /// <summary>
        /// Memory for the presorted feature values, in megabytes (8 bytes per feature and sample of a stage, plus 8 per feature and
        /// positive for the positives' columns kept across stages); features past it are
        /// recomputed each boosting round, which is slower but gives the same cascade (<c>-precalcValBufSize</c> plus
        /// <c>-precalcIdxBufSize</c>). Defaults to 2048.
        /// </summary>
        public int FeatureCacheMegabytes { get; set; } = 2048;

        /// <summary>Threads for computing, sorting and searching features; -1 for all cores. The cascade does not depend on it. Defaults to -1.</summary>
        public int MaxDegreeOfParallelism { get; set; } = -1;

        /// <summary>Seed for the negative windows' images, scales and positions. Defaults to null: drawn from the MLContext (repeatable under <c>new MLContext(seed)</c>).</summary>
        public int? Seed { get; set; }

        /// <summary>Receives a report after each stage. Defaults to null.</summary>
        public IProgress<HaarStageProgress>? Progress { get; set; }

        /// <summary>Stops training between features and stages (<see cref="OperationCanceledException"/>). Defaults to none.</summary>
        public CancellationToken CancellationToken { get; set; }

        /// <summary>
        /// How the fitted detector scans images and names its output columns (OpenCV's <c>detectMultiScale</c> defaults:
        /// scale factor 1.1, 3 neighbours; class name <c>object</c>). Its <c>Cascade</c> and <c>CascadePath</c> are replaced by the
        /// trained cascade and its <c>ImageColumnName</c> by <see cref="ImageColumnName"/>. Defaults to new options.
        /// </summary>
        public HaarCascadeDetectorOptions Detection { get; set; } = new();

        /// <summary>Checks every option, naming the first wrong one, its value and the rule.</summary>
        public void Validate()
        {
            if (string.IsNullOrWhiteSpace(ImageColumnName))
                throw new ArgumentException("ImageColumnName must not be empty.", nameof(ImageColumnName));
            if (WindowWidth < MinWindowSize || WindowHeight < MinWindowSize)
                throw new ArgumentOutOfRangeException(nameof(WindowWidth), Text($"The window must be at least {MinWindowSize}x{MinWindowSize} pixels, got {WindowWidth}x{WindowHeight}."));
            if (StageCount < 1)
                throw new ArgumentOutOfRangeException(nameof(StageCount), Text($"StageCount must be at least 1, got {StageCount}."));
            if (!(MinHitRate > 0 && MinHitRate <= 1))
                throw new ArgumentOutOfRangeException(nameof(MinHitRate), Text($"MinHitRate must be in (0, 1], got {MinHitRate}."));
            if (!(MaxFalseAlarmRate > 0 && MaxFalseAlarmRate < 1))
                throw new ArgumentOutOfRangeException(nameof(MaxFalseAlarmRate), Text($"MaxFalseAlarmRate must be in (0, 1), got {MaxFalseAlarmRate}."));
            if (MaxWeakCount < 1)
                throw new ArgumentOutOfRangeException(nameof(MaxWeakCount), Text($"MaxWeakCount must be at least 1, got {MaxWeakCount}."));
            if (NegativesPerStage < 1)
                throw new ArgumentOutOfRangeException(nameof(NegativesPerStage), Text($"NegativesPerStage must be at least 1, got {NegativesPerStage}."));
            if (!Enum.IsDefined(FeatureMode))
                throw new ArgumentOutOfRangeException(nameof(FeatureMode), $"FeatureMode must be Basic, Core or All, got {FeatureMode}.");
            if (FeatureCacheMegabytes < 0)
                throw new ArgumentOutOfRangeException(nameof(FeatureCacheMegabytes), Text($"FeatureCacheMegabytes must not be negative, got {FeatureCacheMegabytes}."));
            if (MaxDegreeOfParallelism == 0 || MaxDegreeOfParallelism < -1)
                throw new ArgumentOutOfRangeException(nameof(MaxDegreeOfParallelism), Text($"MaxDegreeOfParallelism must be -1 (all cores) or at least 1, got {MaxDegreeOfParallelism}."));
            if (NegativeImagePaths is null && NegativeImages is null)
                throw new ArgumentException("Give the negative (object-free) images in NegativeImagePaths or NegativeImages.", nameof(NegativeImagePaths));
            if (NegativeImagePaths is not null && NegativeImages is not null)
                throw new ArgumentException("Give the negative images in NegativeImagePaths or in NegativeImages, not both.", nameof(NegativeImagePaths));
            if (NegativeImages is not null && string.IsNullOrWhiteSpace(NegativeImageColumnName))
                throw new ArgumentException("NegativeImageColumnName must not be empty.", nameof(NegativeImageColumnName));
            if (Detection is null)
                throw new ArgumentNullException(nameof(Detection), "Detection must not be null.");
            Detection.ToDetectionOptions(); // checks the scan options
            if (Detection.BatchSize < 1)
                throw new ArgumentOutOfRangeException(nameof(Detection), Text($"Detection.BatchSize must be at least 1, got {Detection.BatchSize}."));
        }

        private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
    }
}
