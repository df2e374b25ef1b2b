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
        var areaFirst = Area(first);
        var areaSecond = Area(second);
        var topLeft = torch.maximum(first.narrow(1, 0, 2).unsqueeze(1), second.narrow(1, 0, 2).unsqueeze(0));
        var bottomRight = torch.minimum(first.narrow(1, 2, 2).unsqueeze(1), second.narrow(1, 2, 2).unsqueeze(0));
        var size = (bottomRight - topLeft).clamp_min(0);
        var intersection = size.select(2, 0) * size.select(2, 1);
        var union = areaFirst.unsqueeze(1) + areaSecond.unsqueeze(0) - intersection;
        return (intersection / union).MoveToOuterDisposeScope();
    }
}
