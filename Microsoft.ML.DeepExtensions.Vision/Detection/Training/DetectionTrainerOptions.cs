using Microsoft.ML.DeepExtensions.Schedules;
using Microsoft.ML.DeepExtensions.Training;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Training;

/// <summary>
/// Options every detector trainer shares, beside <see cref="DeepTrainerOptions"/>' loop, feedback and device options.
/// The data follows ML.NET's object-detection convention: an image column, a label column (a vector of keys, one per
/// object) and a box column (a vector of Single, x0 y0 x1 y1 per object, in the image's pixels); images without
/// objects are valid background.
/// </summary>
public abstract class DetectionTrainerOptions : DeepTrainerOptions
{
    /// <summary>
    /// Creates options with the detection defaults: mini-batches of 16, a cosine schedule, gradients clipped to a norm of
    /// 10 (as Ultralytics' YOLOv5: a detector's summed losses spike when a batch holds many objects), early stopping after
    /// 10 epochs without a better validation AP, and 16 images per forward pass when scoring (larger batches of images
    /// only add memory traffic on a CPU).
    /// </summary>
    protected DetectionTrainerOptions()
    {
        GradientClipNorm = 10;
        FeatureColumnName = "Image";
        BatchSize = Microsoft.ML.DeepExtensions.Training.BatchSize.Of(16);
        ScoringBatchSize = 16;
        LearningRateSchedule = new CosineSchedule();
    }

    /// <summary>The image column (<c>MLImage</c>, from <c>LoadImages</c>); any size, letterboxed to <c>ImageSize</c>. Defaults to <c>Image</c>.</summary>
    public string ImageColumnName
    {
        get => FeatureColumnName;
        set => FeatureColumnName = value;
    }

    /// <summary>The box column: a vector of Single, x0 y0 x1 y1 per label, in the image's pixels. Defaults to <c>Box</c> (as ML.NET's object detection).</summary>
    public string BoxColumnName = "Box";

    /// <summary>
    /// The side of the square network input every image is letterboxed to (aspect ratio kept, grey padding), for training
    /// and scoring. Defaults to null: the size a cfg file's <c>[net]</c> section gives, else the median longer side of the
    /// first 64 training images rounded up to a multiple of 32, between 96 and 640.
    /// </summary>
    public int? ImageSize;

    /// <summary>Random changes of the training images and boxes. Defaults to <see cref="DetectionAugmentationOptions"/>' defaults.</summary>
    public DetectionAugmentationOptions Augmentation = new();

    /// <summary>Detections scoring at most this are dropped. Defaults to 0.05 (torchvision's detectors' <c>box_score_thresh</c>).</summary>
    public float ConfidenceThreshold = 0.05f;

    /// <summary>Non-maximum suppression drops a detection overlapping a better one of its class by more than this IoU. Defaults to 0.45.</summary>
    public float IouThreshold = 0.45f;

    /// <summary>The most detections per image. Defaults to 100 (COCO's).</summary>
    public int MaxDetections = 100;

    internal override void Validate()
    {
        base.Validate();
        Require(!string.IsNullOrWhiteSpace(BoxColumnName), nameof(BoxColumnName), "must name a column");
        Require(ImageSize is null or >= 32, nameof(ImageSize), $"must be at least 32, got {ImageSize}");
        Require(Loss is null, nameof(Loss), "is not used by detector trainers (their losses have named parts of their own; see the trainer's options)");
        Require(Augmentation is not null, nameof(Augmentation), "must be set (DetectionAugmentationOptions.None turns augmentation off)");
        Augmentation!.Validate();
        Onnx.DetectorThresholds.Check(ConfidenceThreshold, IouThreshold, MaxDetections);
    }
}
