using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// What an R-CNN does to its input images (torchvision's <c>GeneralizedRCNNTransform</c>): normalize each channel,
/// resize each image so that its shorter side is <see cref="MinSize"/> unless its longer side would exceed
/// <see cref="MaxSize"/>, and stack them, zero-padded at the bottom and right to a multiple of
/// <see cref="SizeDivisible"/>. Detections are mapped back to each image's own pixels.
/// </summary>
/// <remarks>
/// Scale <c>s = min(MinSize / shorter, MaxSize / longer)</c> in float32; resized side <c>floor(side · s)</c> (so a
/// 100-row image at <c>s = 1.28f</c> gets 127 rows, as torchvision); bilinear resampling without corner alignment.
/// Boxes scale by <c>new side / old side</c> per axis.
/// </remarks>
public sealed class RcnnImageTransform
{
    /// <summary>ImageNet's channel means, torchvision's detectors' <c>image_mean</c>.</summary>
    public static readonly IReadOnlyList<float> ImageNetMean = new[] { 0.485f, 0.456f, 0.406f };

    /// <summary>ImageNet's channel standard deviations, torchvision's detectors' <c>image_std</c>.</summary>
    public static readonly IReadOnlyList<float> ImageNetStd = new[] { 0.229f, 0.224f, 0.225f };

    private readonly float[] _mean;
    private readonly float[] _std;

    /// <param name="minSize">Target side of the shorter image side; positive. torchvision's default is 800.</param>
    /// <param name="maxSize">Cap on the longer side; at least <paramref name="minSize"/>. torchvision's default is 1333.</param>
    /// <param name="mean">Channel means subtracted first. Defaults to <see cref="ImageNetMean"/>.</param>
    /// <param name="std">Channel deviations divided by. Defaults to <see cref="ImageNetStd"/>.</param>
    /// <param name="sizeDivisible">The batch's height and width are multiples of this. Defaults to 32.</param>
    public RcnnImageTransform(int minSize, int maxSize, IReadOnlyList<float>? mean = null, IReadOnlyList<float>? std = null, int sizeDivisible = 32)
    {
        if (minSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(minSize), $"minSize must be positive, got {minSize}.");
        if (maxSize < minSize)
            throw new ArgumentOutOfRangeException(nameof(maxSize), $"maxSize must be at least minSize ({minSize}), got {maxSize}.");
        if (sizeDivisible <= 0)
            throw new ArgumentOutOfRangeException(nameof(sizeDivisible), $"sizeDivisible must be positive, got {sizeDivisible}.");
        _mean = (mean ?? ImageNetMean).ToArray();
        _std = (std ?? ImageNetStd).ToArray();
        if (_mean.Length != 3 || _std.Length != 3 || _std.Any(s => !(s > 0)))
            throw new ArgumentException($"mean and std need 3 values (RGB), std positive; got [{string.Join(", ", _mean)}] and [{string.Join(", ", _std)}].", nameof(std));
        (MinSize, MaxSize, SizeDivisible) = (minSize, maxSize, sizeDivisible);
    }

    /// <summary>Target side of the shorter image side.</summary>
    public int MinSize { get; }

    /// <summary>Cap on the longer side.</summary>
    public int MaxSize { get; }

    /// <summary>The batch's height and width are multiples of this.</summary>
    public int SizeDivisible { get; }

    /// <summary>The size an image of <paramref name="height"/> × <paramref name="width"/> is resized to.</summary>
    public (int Height, int Width) ResizedSize(int height, int width)
    {
        if (height <= 0 || width <= 0)
            throw new ArgumentOutOfRangeException(nameof(height), $"Images must be at least 1x1, got {height}x{width}.");
        float scale = Math.Min(MinSize / (float)Math.Min(height, width), MaxSize / (float)Math.Max(height, width));
        return ((int)Math.Floor(height * (double)scale), (int)Math.Floor(width * (double)scale));
    }

    /// <summary>Normalizes, resizes and batches images.</summary>
    /// <param name="images">Each <c>[3, H, W]</c> float RGB in [0, 1]; sizes may differ.</param>
    /// <returns>The batch <c>[N, 3, Hb, Wb]</c> and each image's resized (height, width) inside it.</returns>
    public (Tensor Batch, IReadOnlyList<(int Height, int Width)> ImageSizes) Apply(IReadOnlyList<Tensor> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
            throw new ArgumentException("images must hold at least one image.", nameof(images));
        using var scope = torch.NewDisposeScope();
        var resized = new Tensor[images.Count];
        var sizes = new (int Height, int Width)[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            var image = images[i];
            if (image is null || image.dim() != 3 || image.shape[0] != 3 || !image.is_floating_point())
                throw new ArgumentException($"images[{i}] must be a float [3, H, W] RGB tensor, got {(image is null ? "null" : $"{image.dtype} [{string.Join(", ", image.shape)}]")}.", nameof(images));
            sizes[i] = ResizedSize((int)image.shape[1], (int)image.shape[2]);
            var normalized = Normalize(image);
            resized[i] = nn.functional.interpolate(normalized.unsqueeze(0), new long[] { sizes[i].Height, sizes[i].Width },
                mode: InterpolationMode.Bilinear, align_corners: false)[0];
        }
        long height = RoundUp(sizes.Max(s => s.Height)), width = RoundUp(sizes.Max(s => s.Width));
        var batch = torch.zeros(new long[] { images.Count, 3, height, width }, resized[0].dtype, resized[0].device);
        for (int i = 0; i < resized.Length; i++)
            batch[i, .., ..sizes[i].Height, ..sizes[i].Width] = resized[i];
        return (batch.MoveToOuterDisposeScope(), sizes);
    }

    /// <summary>Normalizes a batch of images that already have the network's size (the trainer's letterboxed squares), padding it to a multiple of <see cref="SizeDivisible"/>.</summary>
    /// <param name="images"><c>[N, 3, H, W]</c> float RGB in [0, 1].</param>
    public Tensor NormalizeBatch(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.shape[1] != 3)
            throw new ArgumentException($"images must be [N, 3, H, W], got [{string.Join(", ", images.shape)}].", nameof(images));
        using var scope = torch.NewDisposeScope();
        var normalized = Normalize(images);
        long padBottom = RoundUp(images.shape[2]) - images.shape[2], padRight = RoundUp(images.shape[3]) - images.shape[3];
        if (padBottom > 0 || padRight > 0)
            normalized = nn.functional.pad(normalized, new[] { 0, padRight, 0, padBottom });
        return normalized.MoveToOuterDisposeScope();
    }

    /// <summary>Boxes of an image of size <paramref name="from"/> in the pixels of its resized version <paramref name="to"/>, or back.</summary>
    /// <param name="boxes"><c>[K, 4]</c> xyxy.</param>
    /// <param name="from">(height, width) of the image the boxes are in.</param>
    /// <param name="to">(height, width) of the image to map them to.</param>
    public static Tensor ScaleBoxes(Tensor boxes, (int Height, int Width) from, (int Height, int Width) to)
    {
        Boxes.BoxChecks.CheckBoxList(boxes, nameof(boxes));
        float ratioHeight = to.Height / (float)from.Height, ratioWidth = to.Width / (float)from.Width;
        using var scope = torch.NewDisposeScope();
        var ratios = torch.tensor(new[] { ratioWidth, ratioHeight, ratioWidth, ratioHeight }, boxes.dtype, boxes.device);
        return (boxes * ratios).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Binary masks of an image resized with it (torchvision's <c>_resize_image_and_masks</c>): nearest neighbour to
    /// <paramref name="to"/>, as bytes.
    /// </summary>
    /// <param name="masks"><c>[G, H, W]</c>, any numeric dtype.</param>
    /// <param name="to">The resized image's (height, width).</param>
    /// <returns><c>[G, to.Height, to.Width]</c> bytes.</returns>
    public static Tensor ResizeMasks(Tensor masks, (int Height, int Width) to)
    {
        ArgumentNullException.ThrowIfNull(masks);
        if (masks.dim() != 3)
            throw new ArgumentException($"masks must be [G, H, W], got [{string.Join(", ", masks.shape)}].", nameof(masks));
        if (masks.shape[0] == 0)
            return torch.zeros(new long[] { 0, to.Height, to.Width }, ScalarType.Byte, masks.device);
        using var scope = torch.NewDisposeScope();
        return nn.functional.interpolate(masks.unsqueeze(1).to(ScalarType.Float32), new long[] { to.Height, to.Width }, mode: InterpolationMode.Nearest)
            .squeeze(1).to(ScalarType.Byte).MoveToOuterDisposeScope();
    }

    private Tensor Normalize(Tensor image)
    {
        var shape = image.dim() == 3 ? new long[] { 3, 1, 1 } : new long[] { 1, 3, 1, 1 };
        var mean = torch.tensor(_mean, image.dtype, image.device).view(shape);
        var std = torch.tensor(_std, image.dtype, image.device).view(shape);
        return (image - mean) / std;
    }

    private long RoundUp(long side) => (side + SizeDivisible - 1) / SizeDivisible * SizeDivisible;
}
