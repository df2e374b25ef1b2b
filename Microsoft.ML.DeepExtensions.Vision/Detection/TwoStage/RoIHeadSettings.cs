namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// The numbers of Faster R-CNN's box head: proposal labelling and sampling for its loss, and the post-processing of
/// its detections. Defaults are torchvision's <c>fasterrcnn_resnet50_fpn</c> (<c>box_*</c> arguments).
/// </summary>
public sealed record RoIHeadSettings
{
    /// <summary>Proposals with IoU at least this with a ground-truth box take its class. Defaults to 0.5.</summary>
    public double ForegroundIoU { get; init; } = 0.5;

    /// <summary>Proposals whose best IoU is below this are background. Defaults to 0.5.</summary>
    public double BackgroundIoU { get; init; } = 0.5;

    /// <summary>Proposals sampled per image for the loss. Defaults to 512.</summary>
    public int BatchSizePerImage { get; init; } = 512;

    /// <summary>Largest share of foreground among the sampled proposals. Defaults to 0.25.</summary>
    public double PositiveFraction { get; init; } = 0.25;

    /// <summary>Detections whose class probability is not above this are dropped. Defaults to 0.05.</summary>
    public double ScoreThreshold { get; init; } = 0.05;

    /// <summary>IoU above which NMS drops a detection overlapping a better one of its class. Defaults to 0.5.</summary>
    public double NmsThreshold { get; init; } = 0.5;

    /// <summary>The most detections per image. Defaults to 100.</summary>
    public int DetectionsPerImage { get; init; } = 100;

    /// <summary>Side of the RoIAlign output pooled for the box head. Defaults to 7.</summary>
    public int PooledSize { get; init; } = 7;

    /// <summary>RoIAlign's sampling points per bin and axis. Defaults to 2.</summary>
    public int SamplingRatio { get; init; } = 2;

    /// <summary>Width of the box head's two fully connected layers (<c>fc6</c>, <c>fc7</c>). Defaults to 1024.</summary>
    public int RepresentationSize { get; init; } = 1024;

    internal void Validate()
    {
        Check(ForegroundIoU is >= 0 and <= 1, nameof(ForegroundIoU), $"must be in [0, 1], got {ForegroundIoU}");
        Check(BackgroundIoU >= 0 && BackgroundIoU <= ForegroundIoU, nameof(BackgroundIoU), $"must be in [0, ForegroundIoU = {ForegroundIoU}], got {BackgroundIoU}");
        Check(BatchSizePerImage > 0, nameof(BatchSizePerImage), $"must be positive, got {BatchSizePerImage}");
        Check(PositiveFraction is >= 0 and <= 1, nameof(PositiveFraction), $"must be in [0, 1], got {PositiveFraction}");
        Check(ScoreThreshold is >= 0 and <= 1, nameof(ScoreThreshold), $"must be in [0, 1], got {ScoreThreshold}");
        Check(NmsThreshold is >= 0 and <= 1, nameof(NmsThreshold), $"must be in [0, 1], got {NmsThreshold}");
        Check(DetectionsPerImage > 0, nameof(DetectionsPerImage), $"must be positive, got {DetectionsPerImage}");
        Check(PooledSize > 0, nameof(PooledSize), $"must be positive, got {PooledSize}");
        Check(RepresentationSize > 0, nameof(RepresentationSize), $"must be positive, got {RepresentationSize}");
    }

    private static void Check(bool ok, string name, string rule)
    {
        if (!ok)
            throw new ArgumentOutOfRangeException(name, $"RoIHeadSettings.{name} {rule}.");
    }
}
