namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// The numbers of Faster R-CNN's region proposal network: anchor labelling and sampling for its loss, and proposal
/// selection. Defaults are torchvision's <c>fasterrcnn_resnet50_fpn</c> (<c>rpn_*</c> arguments).
/// </summary>
public sealed record RpnSettings
{
    /// <summary>Anchors with IoU at least this with a ground-truth box are positive. Defaults to 0.7.</summary>
    public double ForegroundIoU { get; init; } = 0.7;

    /// <summary>Anchors whose best IoU is below this are negative (between the two: ignored). Defaults to 0.3.</summary>
    public double BackgroundIoU { get; init; } = 0.3;

    /// <summary>Anchors sampled per image for the loss. Defaults to 256.</summary>
    public int BatchSizePerImage { get; init; } = 256;

    /// <summary>Largest share of positives among the sampled anchors. Defaults to 0.5.</summary>
    public double PositiveFraction { get; init; } = 0.5;

    /// <summary>Best-scoring anchors kept per feature-map level before NMS, in training. Defaults to 2000.</summary>
    public int PreNmsTopNTraining { get; init; } = 2000;

    /// <summary>Best-scoring anchors kept per feature-map level before NMS, in evaluation. Defaults to 1000.</summary>
    public int PreNmsTopNTesting { get; init; } = 1000;

    /// <summary>Proposals kept per image after NMS, in training. Defaults to 2000.</summary>
    public int PostNmsTopNTraining { get; init; } = 2000;

    /// <summary>Proposals kept per image after NMS, in evaluation. Defaults to 1000.</summary>
    public int PostNmsTopNTesting { get; init; } = 1000;

    /// <summary>IoU above which NMS drops a proposal overlapping a better one of its level. Defaults to 0.7.</summary>
    public double NmsThreshold { get; init; } = 0.7;

    /// <summary>Proposals with objectness probability below this are dropped. Defaults to 0.</summary>
    public double ScoreThreshold { get; init; }

    /// <summary>Proposals narrower or lower than this (pixels) are dropped. Defaults to 0.001.</summary>
    public double MinSize { get; init; } = 1e-3;

    internal void Validate()
    {
        Check(ForegroundIoU is >= 0 and <= 1, nameof(ForegroundIoU), $"must be in [0, 1], got {ForegroundIoU}");
        Check(BackgroundIoU >= 0 && BackgroundIoU <= ForegroundIoU, nameof(BackgroundIoU), $"must be in [0, ForegroundIoU = {ForegroundIoU}], got {BackgroundIoU}");
        Check(BatchSizePerImage > 0, nameof(BatchSizePerImage), $"must be positive, got {BatchSizePerImage}");
        Check(PositiveFraction is >= 0 and <= 1, nameof(PositiveFraction), $"must be in [0, 1], got {PositiveFraction}");
        foreach (var (value, name) in new[] { (PreNmsTopNTraining, nameof(PreNmsTopNTraining)), (PreNmsTopNTesting, nameof(PreNmsTopNTesting)), (PostNmsTopNTraining, nameof(PostNmsTopNTraining)), (PostNmsTopNTesting, nameof(PostNmsTopNTesting)) })
            Check(value > 0, name, $"must be positive, got {value}");
        Check(NmsThreshold is >= 0 and <= 1, nameof(NmsThreshold), $"must be in [0, 1], got {NmsThreshold}");
        Check(ScoreThreshold is >= 0 and <= 1, nameof(ScoreThreshold), $"must be in [0, 1], got {ScoreThreshold}");
        Check(MinSize >= 0, nameof(MinSize), $"must be non-negative, got {MinSize}");
    }

    private static void Check(bool ok, string name, string rule)
    {
        if (!ok)
            throw new ArgumentOutOfRangeException(name, $"RpnSettings.{name} {rule}.");
    }
}
