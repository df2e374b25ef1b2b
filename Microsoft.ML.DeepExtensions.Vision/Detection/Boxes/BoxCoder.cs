using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;

/// <summary>
/// Faster R-CNN's box regression encoding (torchvision's <c>BoxCoder</c>): a target box relative to a
/// reference box (anchor or proposal) of width <c>w</c>, height <c>h</c>, center (<c>cx</c>, <c>cy</c>):
/// <c>dx = wx·(cx' - cx)/w, dy = wy·(cy' - cy)/h, dw = ww·log(w'/w), dh = wh·log(h'/h)</c>.
/// Decoding inverts it, with <c>dw/ww</c> and <c>dh/wh</c> clamped at <see cref="Clip"/> so that
/// <c>exp</c> cannot overflow. Boxes are xyxy; widths are <c>x1 - x0</c> (no +1).
/// </summary>
public sealed class BoxCoder
{
    /// <summary>torchvision's clamp of the decoded log size ratios: <c>log(1000 / 16)</c>.</summary>
    public static readonly double DefaultClip = Math.Log(1000.0 / 16);

    /// <param name="weightX">Weight of dx. Defaults to 1 (RPN); Fast R-CNN heads use 10.</param>
    /// <param name="weightY">Weight of dy. Defaults to 1; Fast R-CNN heads use 10.</param>
    /// <param name="weightWidth">Weight of dw. Defaults to 1; Fast R-CNN heads use 5.</param>
    /// <param name="weightHeight">Weight of dh. Defaults to 1; Fast R-CNN heads use 5.</param>
    /// <param name="clip">Upper clamp of dw and dh (after dividing by their weights) when decoding. Defaults to <see cref="DefaultClip"/>.</param>
    public BoxCoder(double weightX = 1, double weightY = 1, double weightWidth = 1, double weightHeight = 1, double? clip = null)
    {
        foreach (var (value, name) in new[] { (weightX, nameof(weightX)), (weightY, nameof(weightY)), (weightWidth, nameof(weightWidth)), (weightHeight, nameof(weightHeight)) })
        {
            if (!(value > 0) || double.IsInfinity(value))
                throw new ArgumentOutOfRangeException(name, $"{char.ToUpperInvariant(name[0])}{name[1..]} must be positive and finite, got {value}.");
        }
        double clipValue = clip ?? DefaultClip;
        if (double.IsNaN(clipValue))
            throw new ArgumentOutOfRangeException(nameof(clip), "Clip must be a number, got NaN.");
        WeightX = weightX;
        WeightY = weightY;
        WeightWidth = weightWidth;
        WeightHeight = weightHeight;
        Clip = clipValue;
    }

    /// <summary>The coder of Faster R-CNN's box head (torchvision's <c>RoIHeads</c>): weights 10, 10, 5, 5.</summary>
    public static BoxCoder FasterRcnnBoxHead() => new(10, 10, 5, 5);

    public double WeightX { get; }

    public double WeightY { get; }

    public double WeightWidth { get; }

    public double WeightHeight { get; }

    public double Clip { get; }

    /// <summary>Regression targets of <paramref name="targets"/> relative to <paramref name="references"/>.</summary>
    /// <param name="targets"><c>[N, 4]</c> xyxy boxes to reach (e.g. matched ground truth).</param>
    /// <param name="references"><c>[N, 4]</c> xyxy reference boxes (anchors or proposals) with positive sizes.</param>
    /// <returns><c>[N, 4]</c>: dx, dy, dw, dh per pair.</returns>
    public Tensor Encode(Tensor targets, Tensor references)
    {
        BoxChecks.CheckBoxList(targets, nameof(targets));
        BoxChecks.CheckBoxList(references, nameof(references));
        if (targets.shape[0] != references.shape[0])
            throw new ArgumentException($"Targets and references must pair up: {targets.shape[0]} targets, {references.shape[0]} references.", nameof(references));
        using var scope = torch.NewDisposeScope();
        var (refX, refY, refW, refH) = CentersAndSizes(references);
        var (x, y, w, h) = CentersAndSizes(targets.to(references.dtype));
        var dx = WeightX * (x - refX) / refW;
        var dy = WeightY * (y - refY) / refH;
        var dw = WeightWidth * (w / refW).log();
        var dh = WeightHeight * (h / refH).log();
        return torch.stack(new[] { dx, dy, dw, dh }, 1).MoveToOuterDisposeScope();
    }

    /// <summary>Boxes from regression codes relative to <paramref name="references"/>.</summary>
    /// <param name="codes"><c>[N, 4K]</c>: K sets of dx, dy, dw, dh per reference (e.g. one per class).</param>
    /// <param name="references"><c>[N, 4]</c> xyxy reference boxes.</param>
    /// <returns><c>[N, 4K]</c> xyxy boxes, in the dtype of <paramref name="codes"/>.</returns>
    public Tensor Decode(Tensor codes, Tensor references)
    {
        BoxChecks.CheckBoxList(references, nameof(references));
        ArgumentNullException.ThrowIfNull(codes);
        if (codes.dim() != 2 || codes.shape[1] % 4 != 0 || codes.shape[1] == 0 || codes.shape[0] != references.shape[0])
            throw new ArgumentException($"Codes must have shape [{references.shape[0]}, 4K] (4 per box per reference), got [{string.Join(", ", codes.shape)}].", nameof(codes));
        using var scope = torch.NewDisposeScope();
        var (refX, refY, refW, refH) = CentersAndSizes(references.to(codes.dtype));
        long k = codes.shape[1] / 4;
        var grouped = codes.view(codes.shape[0], k, 4);
        var dx = grouped.select(2, 0) / WeightX;
        var dy = grouped.select(2, 1) / WeightY;
        var dw = (grouped.select(2, 2) / WeightWidth).clamp_max(Clip);
        var dh = (grouped.select(2, 3) / WeightHeight).clamp_max(Clip);
        var x = dx * refW.unsqueeze(1) + refX.unsqueeze(1);
        var y = dy * refH.unsqueeze(1) + refY.unsqueeze(1);
        var halfW = 0.5 * (dw.exp() * refW.unsqueeze(1));
        var halfH = 0.5 * (dh.exp() * refH.unsqueeze(1));
        return torch.stack(new[] { x - halfW, y - halfH, x + halfW, y + halfH }, 2).flatten(1).MoveToOuterDisposeScope();
    }

    private static (Tensor X, Tensor Y, Tensor W, Tensor H) CentersAndSizes(Tensor boxes)
    {
        var (x0, y0, x1, y1) = BoxConversion.Unbind(boxes);
        var w = x1 - x0;
        var h = y1 - y0;
        return (x0 + 0.5 * w, y0 + 0.5 * h, w, h);
    }
}
