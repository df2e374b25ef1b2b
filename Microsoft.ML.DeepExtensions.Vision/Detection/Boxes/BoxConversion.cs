using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;

/// <summary>
/// Converts boxes between <see cref="BoxFormat"/>s (torchvision's <c>box_convert</c>):
/// xywh → xyxy: <c>x1 = x + w</c>; cxcywh → xyxy: <c>x0 = cx - w/2, x1 = cx + w/2</c>; and back.
/// </summary>
public static class BoxConversion
{
    /// <summary>Converts a <c>[..., 4]</c> tensor of boxes from <paramref name="from"/> to <paramref name="to"/>.</summary>
    /// <param name="boxes">Boxes, <c>[..., 4]</c> floating point (usually <c>[N, 4]</c>).</param>
    /// <param name="from">The layout of <paramref name="boxes"/>.</param>
    /// <param name="to">The layout wanted.</param>
    /// <returns>A new <c>[..., 4]</c> tensor in format <paramref name="to"/> (a copy even when the formats are equal).</returns>
    public static Tensor Convert(Tensor boxes, BoxFormat from, BoxFormat to)
    {
        BoxChecks.CheckBoxes(boxes, nameof(boxes));
        if (from == to)
            return boxes.clone();
        var xyxy = from switch
        {
            BoxFormat.Xyxy => boxes,
            BoxFormat.Xywh => ToXyxy(boxes, center: false),
            BoxFormat.Cxcywh => ToXyxy(boxes, center: true),
            _ => throw new ArgumentOutOfRangeException(nameof(from), $"Unknown box format {from}."),
        };
        return to switch
        {
            BoxFormat.Xyxy => xyxy,
            BoxFormat.Xywh => FromXyxy(xyxy, center: false),
            BoxFormat.Cxcywh => FromXyxy(xyxy, center: true),
            _ => throw new ArgumentOutOfRangeException(nameof(to), $"Unknown box format {to}."),
        };
    }

    /// <summary>Converts boxes held in a managed array, <c>[N, 4]</c> row-major, in place.</summary>
    public static void Convert(Span<float> boxes, BoxFormat from, BoxFormat to)
    {
        if (boxes.Length % 4 != 0)
            throw new ArgumentException($"Boxes need 4 values each, got {boxes.Length} values.", nameof(boxes));
        for (int b = 0; b < boxes.Length; b += 4)
        {
            var box = boxes.Slice(b, 4);
            float x0 = box[0], y0 = box[1], x1 = box[2], y1 = box[3];
            switch (from)
            {
                case BoxFormat.Xywh: x1 = x0 + box[2]; y1 = y0 + box[3]; break;
                case BoxFormat.Cxcywh: x0 = box[0] - 0.5f * box[2]; y0 = box[1] - 0.5f * box[3]; x1 = box[0] + 0.5f * box[2]; y1 = box[1] + 0.5f * box[3]; break;
                case BoxFormat.Xyxy: break;
                default: throw new ArgumentOutOfRangeException(nameof(from), $"Unknown box format {from}.");
            }
            switch (to)
            {
                case BoxFormat.Xyxy: box[0] = x0; box[1] = y0; box[2] = x1; box[3] = y1; break;
                case BoxFormat.Xywh: box[0] = x0; box[1] = y0; box[2] = x1 - x0; box[3] = y1 - y0; break;
                case BoxFormat.Cxcywh: box[0] = (x0 + x1) / 2; box[1] = (y0 + y1) / 2; box[2] = x1 - x0; box[3] = y1 - y0; break;
                default: throw new ArgumentOutOfRangeException(nameof(to), $"Unknown box format {to}.");
            }
        }
    }

    private static Tensor ToXyxy(Tensor boxes, bool center)
    {
        var (a, b, w, h) = Unbind(boxes);
        if (!center)
            return torch.stack(new[] { a, b, a + w, b + h }, -1);
        var halfW = 0.5 * w;
        var halfH = 0.5 * h;
        return torch.stack(new[] { a - halfW, b - halfH, a + halfW, b + halfH }, -1);
    }

    private static Tensor FromXyxy(Tensor boxes, bool center)
    {
        var (x0, y0, x1, y1) = Unbind(boxes);
        return center
            ? torch.stack(new[] { (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0 }, -1)
            : torch.stack(new[] { x0, y0, x1 - x0, y1 - y0 }, -1);
    }

    internal static (Tensor, Tensor, Tensor, Tensor) Unbind(Tensor boxes)
    {
        var parts = boxes.unbind(-1);
        return (parts[0], parts[1], parts[2], parts[3]);
    }
}
