using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;

/// <summary>
/// Greedy non-maximum suppression (torchvision's <c>nms</c> and <c>batched_nms</c>): visit boxes by
/// decreasing score (ties in input order); keep a box unless an already kept box overlaps it with
/// IoU strictly greater than the threshold.
/// </summary>
/// <remarks>
/// The IoUs are computed on the boxes' device, <see cref="BlockRows"/> sorted boxes against the rest at a
/// time, and each block crosses to the host once as a bit matrix, where the greedy pass (inherently
/// sequential) runs over plain booleans: no per-box <c>.item()</c> round trips, and memory of
/// <c>BlockRows * N</c> booleans rather than <c>N * N</c>. Class-aware NMS shifts each class' boxes
/// by <c>class * (max coordinate + 1)</c> so boxes of different classes never overlap, then runs the
/// same pass once.
/// </remarks>
public static class NonMaxSuppression
{
    /// <summary>Sorted boxes whose IoU rows are computed and copied to the host together.</summary>
    public const int BlockRows = 512;

    /// <summary>Class-agnostic NMS.</summary>
    /// <param name="boxes"><c>[N, 4]</c> xyxy boxes, floating point.</param>
    /// <param name="scores"><c>[N]</c> scores, same device.</param>
    /// <param name="iouThreshold">Boxes overlapping a kept box with IoU above this are dropped.</param>
    /// <returns><c>[K]</c> int64 indices into <paramref name="boxes"/> of the kept boxes, by decreasing score, on the boxes' device.</returns>
    public static Tensor Apply(Tensor boxes, Tensor scores, double iouThreshold)
    {
        BoxChecks.CheckBoxList(boxes, nameof(boxes));
        BoxChecks.CheckPerBox(scores, boxes.shape[0], nameof(scores), nameof(boxes));
        CheckThreshold(iouThreshold);
        return Suppress(boxes, scores, iouThreshold);
    }

    /// <summary>Class-aware NMS: boxes only suppress boxes of their own class.</summary>
    /// <param name="boxes"><c>[N, 4]</c> xyxy boxes, floating point.</param>
    /// <param name="scores"><c>[N]</c> scores.</param>
    /// <param name="classes"><c>[N]</c> integer class of each box (any non-negative values).</param>
    /// <param name="iouThreshold">Boxes overlapping a kept box of the same class with IoU above this are dropped.</param>
    /// <returns><c>[K]</c> int64 indices of the kept boxes, by decreasing score.</returns>
    public static Tensor ApplyPerClass(Tensor boxes, Tensor scores, Tensor classes, double iouThreshold)
    {
        BoxChecks.CheckBoxList(boxes, nameof(boxes));
        BoxChecks.CheckPerBox(scores, boxes.shape[0], nameof(scores), nameof(boxes));
        BoxChecks.CheckPerBox(classes, boxes.shape[0], nameof(classes), nameof(boxes));
        CheckThreshold(iouThreshold);
        if (boxes.shape[0] == 0)
            return torch.empty(0, ScalarType.Int64, boxes.device);
        using var scope = torch.NewDisposeScope();
        var offsets = classes.to(boxes.dtype) * (boxes.max() + 1);
        return Suppress(boxes + offsets.unsqueeze(1), scores, iouThreshold).MoveToOuterDisposeScope();
    }

    /// <summary>Class-agnostic NMS over managed arrays (wraps them in CPU tensors).</summary>
    /// <param name="boxes"><c>[N, 4]</c> xyxy boxes, row-major.</param>
    /// <param name="scores"><c>N</c> scores.</param>
    /// <param name="iouThreshold">Boxes overlapping a kept box with IoU above this are dropped.</param>
    /// <returns>Indices of the kept boxes, by decreasing score.</returns>
    public static int[] Apply(float[] boxes, float[] scores, double iouThreshold) =>
        ApplyManaged(boxes, scores, null, iouThreshold);

    /// <summary>Class-aware NMS over managed arrays (wraps them in CPU tensors).</summary>
    public static int[] ApplyPerClass(float[] boxes, float[] scores, int[] classes, double iouThreshold)
    {
        ArgumentNullException.ThrowIfNull(classes);
        return ApplyManaged(boxes, scores, classes, iouThreshold);
    }

    private static int[] ApplyManaged(float[] boxes, float[] scores, int[]? classes, double iouThreshold)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(scores);
        if (boxes.Length != 4 * scores.Length)
            throw new ArgumentException($"Boxes need 4 values per score: {scores.Length} scores, {boxes.Length} box values.", nameof(boxes));
        using var scope = torch.NewDisposeScope();
        var boxTensor = torch.tensor(boxes, new long[] { scores.Length, 4 });
        var scoreTensor = torch.tensor(scores);
        var kept = classes is null
            ? Apply(boxTensor, scoreTensor, iouThreshold)
            : ApplyPerClass(boxTensor, scoreTensor, torch.tensor(classes), iouThreshold);
        return kept.data<long>().Select(i => (int)i).ToArray();
    }

    private static void CheckThreshold(double iouThreshold)
    {
        if (double.IsNaN(iouThreshold))
            throw new ArgumentOutOfRangeException(nameof(iouThreshold), "The IoU threshold must be a number, got NaN.");
    }

    private static Tensor Suppress(Tensor boxes, Tensor scores, double iouThreshold)
    {
        int count = checked((int)boxes.shape[0]);
        if (count == 0)
            return torch.empty(0, ScalarType.Int64, boxes.device);
        using var scope = torch.NewDisposeScope();
        var (_, order) = scores.sort(0, descending: true, stable: true);
        var sorted = boxes.index_select(0, order);
        var removed = new bool[count];
        var kept = new List<long>();
        for (int start = 0; start < count; start += BlockRows)
        {
            int rows = Math.Min(BlockRows, count - start);
            if (AllRemoved(removed, start, rows))
                continue;
            int columns = count - start;
            // Row r, column c: does sorted box start + r overlap sorted box start + c too much?
            using var blockScope = torch.NewDisposeScope();
            var overlaps = (BoxIou.Pairwise(sorted.narrow(0, start, rows), sorted.narrow(0, start, columns)) > iouThreshold)
                .cpu().data<bool>().ToArray();
            for (int r = 0; r < rows; r++)
            {
                int i = start + r;
                if (removed[i])
                    continue;
                kept.Add(i);
                int rowStart = r * columns;
                for (int c = r + 1; c < columns; c++)
                {
                    if (overlaps[rowStart + c])
                        removed[start + c] = true;
                }
            }
        }
        var keptPositions = torch.tensor(kept.ToArray(), ScalarType.Int64).to(order.device);
        return order.index_select(0, keptPositions).MoveToOuterDisposeScope();
    }

    private static bool AllRemoved(bool[] removed, int start, int rows)
    {
        for (int i = start; i < start + rows; i++)
        {
            if (!removed[i])
                return false;
        }
        return true;
    }
}
