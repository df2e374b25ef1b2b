using Microsoft.ML.DeepExtensions.Vision.Detection.Ops;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;

/// <summary>
/// R-CNN's region warp (Girshick et al., 2014, section 2.1 and appendix A): each region, whatever its size and aspect
/// ratio, is stretched to the CNN's square input; first its box is enlarged so that <c>p</c> warped pixels of image
/// context surround it (the paper's "warp with p = 16" at 227x227).
/// </summary>
/// <remarks>
/// The enlarged box <c>(cx ± w·s/2, cy ± h·s/2)</c> with <c>s = W / (W − 2p)</c> is sampled bilinearly on a
/// <c>W x W</c> grid of pixel centres by the project's <see cref="RoIAlign"/> (one sample per bin, pixel-aligned), all
/// regions of a batch of images in one call. Where the enlarged box leaves the image the pixels are mid-grey (0.5), the
/// colour of the letterbox padding, as the paper fills them with the mean colour.
/// </remarks>
internal sealed class RegionWarp
{
    private const float OutsideValue = 0.5f;

    /// <param name="size">The warped side <c>W</c>.</param>
    /// <param name="contextPadding">Context pixels <c>p</c> on each side of the warped region; less than <c>W / 2</c>.</param>
    public RegionWarp(int size, int contextPadding)
    {
        if (size < 1)
            throw new ArgumentOutOfRangeException(nameof(size), $"WarpSize must be positive, got {size}.");
        if (contextPadding < 0 || 2 * contextPadding >= size)
            throw new ArgumentOutOfRangeException(nameof(contextPadding), $"ContextPadding must be 0 or more and less than half of WarpSize ({size}), got {contextPadding}.");
        Size = size;
        ContextPadding = contextPadding;
    }

    /// <summary>The warped side.</summary>
    public int Size { get; }

    /// <summary>Context pixels on each side of the warped region.</summary>
    public int ContextPadding { get; }

    /// <summary>The enlarged boxes whose warp puts <see cref="ContextPadding"/> pixels of context around <paramref name="boxes"/>.</summary>
    /// <param name="boxes"><c>[K, 4]</c> xyxy.</param>
    public Tensor WithContext(Tensor boxes)
    {
        using var scope = torch.NewDisposeScope();
        double scale = (double)Size / (Size - 2 * ContextPadding);
        var center = (boxes.narrow(1, 0, 2) + boxes.narrow(1, 2, 2)) * 0.5;
        var half = (boxes.narrow(1, 2, 2) - boxes.narrow(1, 0, 2)) * (0.5 * scale);
        return torch.cat(new[] { center - half, center + half }, 1).MoveToOuterDisposeScope();
    }

    /// <summary>Warps regions of a batch of images.</summary>
    /// <param name="images"><c>[N, 3, H, W]</c> float RGB in [0, 1].</param>
    /// <param name="imageIndices"><c>[K]</c> integer: the image of each region.</param>
    /// <param name="boxes"><c>[K, 4]</c> xyxy regions in the images' pixels, on the images' device.</param>
    /// <returns><c>[K, 3, Size, Size]</c> float RGB in [0, 1].</returns>
    public Tensor Apply(Tensor images, Tensor imageIndices, Tensor boxes)
    {
        using var scope = torch.NewDisposeScope();
        if (boxes.shape[0] == 0)
            return torch.empty(new long[] { 0, images.shape[1], Size, Size }, images.dtype, images.device).MoveToOuterDisposeScope();
        var rois = torch.cat(new[] { imageIndices.to(images.dtype).unsqueeze(1), WithContext(boxes.to(images.dtype)) }, 1);
        var warped = RoIAlign.Apply(images - OutsideValue, rois, (Size, Size), spatialScale: 1.0, samplingRatio: 1, aligned: true);
        return (warped + OutsideValue).MoveToOuterDisposeScope();
    }
}
