namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// The numbers of Mask R-CNN's mask branch (He, Gkioxari, Dollár and Girshick, "Mask R-CNN", ICCV 2017). Defaults are
/// torchvision's <c>maskrcnn_resnet50_fpn</c>: RoIAlign to 14 × 14 with 2 sampling points per bin and axis, four 3 × 3
/// convolutions of 256 channels, a 2 × 2 stride-2 deconvolution of 256 channels, so masks of 28 × 28 per class.
/// </summary>
public sealed record MaskHeadSettings
{
    /// <summary>Side of the RoIAlign output pooled for the mask head (<c>mask_roi_pool</c>). Defaults to 14; the masks have twice this side.</summary>
    public int PooledSize { get; init; } = 14;

    /// <summary>RoIAlign's sampling points per bin and axis. Defaults to 2.</summary>
    public int SamplingRatio { get; init; } = 2;

    /// <summary>Channels of each of the mask head's 3 × 3 convolutions (<c>mask_head</c>), one entry per layer. Defaults to four layers of 256.</summary>
    public IReadOnlyList<int> Layers { get; init; } = new[] { 256, 256, 256, 256 };

    /// <summary>Dilation (and padding) of the mask head's convolutions. Defaults to 1.</summary>
    public int Dilation { get; init; } = 1;

    /// <summary>Channels of the predictor's deconvolution (<c>conv5_mask</c>; torchvision's <c>dim_reduced</c>). Defaults to 256.</summary>
    public int PredictorChannels { get; init; } = 256;

    /// <summary>Side of the predicted masks: twice <see cref="PooledSize"/> (the deconvolution doubles it).</summary>
    public int MaskSize => 2 * PooledSize;

    internal void Validate()
    {
        Check(PooledSize > 0, nameof(PooledSize), $"must be positive, got {PooledSize}");
        Check(Layers is { Count: > 0 } && Layers.All(l => l > 0), nameof(Layers), $"must list at least one positive channel count, got [{(Layers is null ? "null" : string.Join(", ", Layers))}]");
        Check(Dilation > 0, nameof(Dilation), $"must be positive, got {Dilation}");
        Check(PredictorChannels > 0, nameof(PredictorChannels), $"must be positive, got {PredictorChannels}");
    }

    private static void Check(bool ok, string name, string rule)
    {
        if (!ok)
            throw new ArgumentOutOfRangeException(name, $"MaskHeadSettings.{name} {rule}.");
    }
}
