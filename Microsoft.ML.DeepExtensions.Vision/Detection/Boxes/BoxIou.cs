using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;

/// <summary>
/// Box areas and the pairwise intersection over union (torchvision's <c>box_area</c> and <c>box_iou</c>):
/// <c>IoU(a, b) = |a ∩ b| / (|a| + |b| - |a ∩ b|)</c> for xyxy boxes, NaN when both boxes are empty.
/// </summary>
public static class BoxIou
{
    /// <summary>Areas <c>(x1 - x0) * (y1 - y0)</c> of <c>[N, 4]</c> xyxy boxes, shape <c>[N]</c>.</summary>
    public static Tensor Area(Tensor boxes)
    {
        BoxChecks.CheckBoxList(boxes, nameof(boxes));
        var (x0, y0, x1, y1) = BoxConversion.Unbind(boxes);
        return (x1 - x0) * (y1 - y0);
    }

    /// <summary>The IoU of every box of <paramref name="first"/> with every box of <paramref name="second"/>.</summary>
    /// <param name="first"><c>[N, 4]</c> xyxy boxes.</param>
    /// <param name="second"><c>[M, 4]</c> xyxy boxes, same dtype and device.</param>
    /// <returns><c>[N, M]</c>: element (i, j) is IoU(first[i], second[j]).</returns>
    public static Tensor Pairwise(Tensor first, Tensor second)
    {
        BoxChecks.CheckBoxList(first, nameof(first));
        BoxChecks.CheckBoxList(second, nameof(second));
        using var scope = torch.NewDisposeScope();
        var intersection = PairwiseIntersection(first, second);
        var union = Area(first).unsqueeze(1) + Area(second).unsqueeze(0) - intersection;
        return (intersection / union).MoveToOuterDisposeScope();
    }

    /// <summary>The intersection area of every box of <paramref name="first"/> with every box of <paramref name="second"/>.</summary>
    /// <param name="first"><c>[N, 4]</c> xyxy boxes.</param>
    /// <param name="second"><c>[M, 4]</c> xyxy boxes, same dtype and device.</param>
    /// <returns><c>[N, M]</c>: element (i, j) is |first[i] ∩ second[j]|, 0 for disjoint boxes.</returns>
    public static Tensor PairwiseIntersection(Tensor first, Tensor second)
    {
        BoxChecks.CheckBoxList(first, nameof(first));
        BoxChecks.CheckBoxList(second, nameof(second));
        using var scope = torch.NewDisposeScope();
        var topLeft = torch.maximum(first.narrow(1, 0, 2).unsqueeze(1), second.narrow(1, 0, 2).unsqueeze(0));
        var bottomRight = torch.minimum(first.narrow(1, 2, 2).unsqueeze(1), second.narrow(1, 2, 2).unsqueeze(0));
        var size = (bottomRight - topLeft).clamp_min(0);
        return (size.select(2, 0) * size.select(2, 1)).MoveToOuterDisposeScope();
    }

    /// <summary>The IoU of aligned pairs, box <c>i</c> of <paramref name="first"/> with box <c>i</c> of <paramref name="second"/>, differentiable.</summary>
    /// <param name="first"><c>[K, 4]</c> xyxy boxes.</param>
    /// <param name="second"><c>[K, 4]</c> xyxy boxes, same dtype and device.</param>
    /// <param name="eps">Added to the union, so empty pairs give 0 rather than NaN. Defaults to 0 (as <see cref="Pairwise"/>).</param>
    /// <returns><c>[K]</c>.</returns>
    public static Tensor Aligned(Tensor first, Tensor second, double eps = 0) => AlignedWithUnion(first, second, eps).Iou;

    /// <summary><see cref="Aligned"/> and the unions it divided by (without <paramref name="eps"/>).</summary>
    internal static (Tensor Iou, Tensor Union) AlignedWithUnion(Tensor first, Tensor second, double eps)
    {
        BoxChecks.CheckBoxList(first, nameof(first));
        BoxChecks.CheckBoxList(second, nameof(second));
        if (first.shape[0] != second.shape[0])
            throw new ArgumentException($"Aligned IoU needs as many boxes in both sets, got {first.shape[0]} and {second.shape[0]}.", nameof(second));
        var width = (torch.minimum(first[.., 2], second[.., 2]) - torch.maximum(first[.., 0], second[.., 0])).clamp_min(0);
        var height = (torch.minimum(first[.., 3], second[.., 3]) - torch.maximum(first[.., 1], second[.., 1])).clamp_min(0);
        var intersection = width * height;
        var union = (first[.., 2] - first[.., 0]) * (first[.., 3] - first[.., 1]) + (second[.., 2] - second[.., 0]) * (second[.., 3] - second[.., 1]) - intersection;
        return (intersection / (union + eps), union);
    }
}
