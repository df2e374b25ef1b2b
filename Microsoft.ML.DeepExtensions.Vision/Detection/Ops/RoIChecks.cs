using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Ops;

/// <summary>
/// Argument checks and box conversion shared by the RoI operators. Every message names the argument, the value
/// at fault and the rule; the checks are always on (a bad batch index would otherwise read another image's
/// memory or crash natively).
/// </summary>
internal static class RoIChecks
{
    /// <summary>Throws unless <paramref name="input"/> is a floating-point <c>[N, C, H, W]</c> tensor with non-empty maps.</summary>
    public static void CheckFeatures(Tensor input, string name)
    {
        ArgumentNullException.ThrowIfNull(input, name);
        if (input.dim() != 4)
            throw new ArgumentException($"{name} must be a feature map of shape [N, C, H, W], got [{Shape(input)}].", name);
        if (!input.is_floating_point())
            throw new ArgumentException($"{name} must be a floating-point tensor, got {input.dtype}.", name);
        if (input.shape[2] == 0 || input.shape[3] == 0)
            throw new ArgumentException($"{name} must have a non-empty feature map (H, W > 0), got [{Shape(input)}].", name);
    }

    /// <summary>Throws unless both output dimensions are positive.</summary>
    public static void CheckOutputSize((int Height, int Width) outputSize, string name)
    {
        if (outputSize.Height <= 0 || outputSize.Width <= 0)
            throw new ArgumentOutOfRangeException(name, $"{name} must be positive in both dimensions, got ({outputSize.Height}, {outputSize.Width}).");
    }

    /// <summary>Throws unless the spatial scale is a positive finite number.</summary>
    public static void CheckSpatialScale(double spatialScale, string name)
    {
        if (!(spatialScale > 0) || double.IsInfinity(spatialScale))
            throw new ArgumentOutOfRangeException(name, $"{name} must be a positive finite number (feature-map size / image size), got {spatialScale.ToString(CultureInfo.InvariantCulture)}.");
    }

    /// <summary>
    /// Throws unless <paramref name="rois"/> is a <c>[K, 5]</c> tensor (batch index, x0, y0, x1, y1) on the device of
    /// <paramref name="input"/>, with finite coordinates and integer batch indices in <c>[0, N)</c>.
    /// </summary>
    public static void CheckRois(Tensor rois, Tensor input, string name)
    {
        ArgumentNullException.ThrowIfNull(rois, name);
        if (rois.dim() != 2 || rois.shape[1] != 5)
            throw new ArgumentException($"{name} must have shape [K, 5] (batch index, x0, y0, x1, y1), got [{Shape(rois)}]. Pass per-image [Ki, 4] boxes as a list instead.", name);
        if (!rois.is_floating_point())
            throw new ArgumentException($"{name} must be a floating-point tensor, got {rois.dtype}.", name);
        if (!SameDevice(rois, input))
            throw new ArgumentException($"{name} must be on the feature map's device {input.device}, got {rois.device}.", name);
        if (rois.shape[0] == 0)
            return;
        using var scope = torch.NewDisposeScope();
        var values = rois.detach().to(ScalarType.Float64);
        // One host round trip for all three rules; the offending row is looked up only on failure.
        var nonFinite = values.isfinite().logical_not().any(1);
        var batch = values[.., 0];
        var badBatch = (batch != batch.floor()) | (batch < 0) | (batch >= input.shape[0]);
        var flags = torch.stack(new[] { nonFinite.any(), badBatch.any() }).cpu().data<bool>().ToArray();
        if (flags[0])
        {
            long row = FirstTrue(nonFinite);
            throw new ArgumentException($"{name} must have finite coordinates, got [{Row(values, row)}] in row {row}.", name);
        }
        if (flags[1])
        {
            long row = FirstTrue(badBatch);
            double index = batch[row].item<double>();
            throw new ArgumentException(
                $"{name}[:, 0] is the batch index and must be an integer in [0, {input.shape[0]}) (the feature map has {input.shape[0]} images), got {index.ToString(CultureInfo.InvariantCulture)} in row {row}.", name);
        }
    }

    /// <summary>
    /// Per-image boxes to the <c>[K, 5]</c> form (torchvision's <c>convert_boxes_to_roi_format</c>): the boxes of
    /// image i get batch index i, images in list order.
    /// </summary>
    public static Tensor ToRois(IReadOnlyList<Tensor> boxes, Tensor input, string name)
    {
        ArgumentNullException.ThrowIfNull(boxes, name);
        if (boxes.Count > input.shape[0])
            throw new ArgumentException($"{name} has boxes for {boxes.Count} images, but the feature map has {input.shape[0]}.", name);
        for (int i = 0; i < boxes.Count; i++)
        {
            var b = boxes[i] ?? throw new ArgumentNullException(name, $"{name}[{i}] is null.");
            if (b.dim() != 2 || b.shape[1] != 4)
                throw new ArgumentException($"{name}[{i}] must have shape [Ki, 4] (x0, y0, x1, y1), got [{Shape(b)}].", name);
            if (!b.is_floating_point())
                throw new ArgumentException($"{name}[{i}] must be a floating-point tensor, got {b.dtype}.", name);
            if (!SameDevice(b, input))
                throw new ArgumentException($"{name}[{i}] must be on the feature map's device {input.device}, got {b.device}.", name);
        }
        if (boxes.Count == 0)
            return torch.zeros(0, 5, input.dtype, input.device);
        using var scope = torch.NewDisposeScope();
        var rows = boxes.Select((b, i) => torch.cat(new[] { torch.full(new long[] { b.shape[0], 1 }, i, dtype: input.dtype, device: input.device), b.to(input.dtype) }, 1)).ToArray();
        return torch.cat(rows, 0).MoveToOuterDisposeScope();
    }

    /// <summary>Whether two tensors live on the same device (TorchSharp's <c>Device</c> compares by reference).</summary>
    public static bool SameDevice(Tensor a, Tensor b) => a.device_type == b.device_type && a.device_index == b.device_index;

    private static long FirstTrue(Tensor flags) => flags.nonzero()[0, 0].item<long>();

    private static string Row(Tensor values, long row) =>
        string.Join(", ", values[row].cpu().data<double>().ToArray().Select(v => v.ToString(CultureInfo.InvariantCulture)));

    public static string Shape(Tensor t) => string.Join(", ", t.shape);
}
