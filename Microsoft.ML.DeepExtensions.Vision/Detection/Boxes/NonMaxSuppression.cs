using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;

/// <summary>
/// Greedy non-maximum suppression (torchvision's <c>nms</c> and <c>batched_nms</c>): visit boxes by
/// decreasing score (ties in input order); keep a box unless an already kept box overlaps it with
/// IoU strictly greater than the threshold.
/// </summary>
/// <remarks>
/// One greedy pass (inherently sequential) runs on the host over overlap flags, with no per-box
/// <c>.item()</c> round trip. Where the flags come from depends on the device: CPU boxes are copied to
/// the host once and each kept box is compared only with the boxes after it still in play (as
/// torchvision's CPU kernel); on an accelerator the IoUs of <see cref="BlockRows"/> sorted boxes against
/// the rest are computed there and cross to the host as one boolean matrix per block (memory
/// <c>BlockRows * N</c>, not <c>N * N</c>). Class-aware NMS shifts each class' boxes by
/// <c>class * (coordinate span + 1)</c> so boxes of different classes never overlap, then runs the same
/// pass once.
/// </remarks>
public static class NonMaxSuppression
{
    /// <summary>Sorted boxes whose IoU rows are computed together on an accelerator and copied to the host at once.</summary>
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
        // The span (not torchvision's max + 1) keeps classes apart also when coordinates are negative.
        var offsets = classes.to(boxes.dtype) * (boxes.max() - boxes.min() + 1);
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

    /// <summary>
    /// <see cref="Apply(Tensor, Tensor, double)"/> through the accelerator path (blocked IoU matrices) whatever the
    /// device, so that CPU-only test machines check it too.
    /// </summary>
    internal static Tensor ApplyBlocked(Tensor boxes, Tensor scores, double iouThreshold)
    {
        BoxChecks.CheckBoxList(boxes, nameof(boxes));
        BoxChecks.CheckPerBox(scores, boxes.shape[0], nameof(scores), nameof(boxes));
        return Suppress(boxes, scores, iouThreshold, blocked: true);
    }

    private static Tensor Suppress(Tensor boxes, Tensor scores, double iouThreshold, bool? blocked = null)
    {
        int count = checked((int)boxes.shape[0]);
        if (count == 0)
            return torch.empty(0, ScalarType.Int64, boxes.device);
        using var scope = torch.NewDisposeScope();
        var (_, order) = scores.sort(0, descending: true, stable: true);
        var sorted = boxes.index_select(0, order);
        bool useBlocks = blocked ?? boxes.device_type != DeviceType.CPU;
        var kept = useBlocks
            ? Greedy(count, BlockRows, new DeviceOverlaps(sorted, iouThreshold).Block)
            : Greedy(count, 1, new HostOverlaps(sorted, iouThreshold).Row);
        var keptPositions = torch.tensor(kept, ScalarType.Int64).to(order.device);
        return order.index_select(0, keptPositions).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Overlap flags of sorted boxes <c>start .. start+rows-1</c> (rows) against sorted boxes <c>start ..</c>
    /// (columns), row-major; columns already removed may be left false.
    /// </summary>
    private delegate ReadOnlySpan<bool> BlockOverlaps(int start, int rows, bool[] removed);

    /// <summary>The greedy pass over boxes sorted by decreasing score; returns the kept sorted positions.</summary>
    private static long[] Greedy(int count, int blockRows, BlockOverlaps overlapsOf)
    {
        var removed = new bool[count];
        var kept = new List<long>();
        for (int start = 0; start < count; start += blockRows)
        {
            int rows = Math.Min(blockRows, count - start);
            if (AllRemoved(removed, start, rows))
                continue;
            int columns = count - start;
            var overlaps = overlapsOf(start, rows, removed);
            for (int r = 0; r < rows; r++)
            {
                int i = start + r;
                if (removed[i])
                    continue;
                kept.Add(i);
                var row = overlaps.Slice(r * columns, columns);
                for (int c = r + 1; c < columns; c++)
                {
                    if (row[c])
                        removed[start + c] = true;
                }
            }
        }
        return kept.ToArray();
    }

    /// <summary>
    /// CPU boxes: copied to the host once, then each kept box is compared with the boxes after it that are
    /// still in play (IoU in float32 with the same formula as <see cref="BoxIou"/>).
    /// </summary>
    private sealed class HostOverlaps
    {
        private readonly float[] _boxes;
        private readonly float[] _areas;
        private readonly bool[] _row;
        private readonly double _threshold;

        public HostOverlaps(Tensor sorted, double threshold)
        {
            _boxes = sorted.to(ScalarType.Float32).contiguous().data<float>().ToArray();
            int count = _boxes.Length / 4;
            _areas = new float[count];
            for (int i = 0; i < count; i++)
                _areas[i] = (_boxes[4 * i + 2] - _boxes[4 * i]) * (_boxes[4 * i + 3] - _boxes[4 * i + 1]);
            _row = new bool[count];
            _threshold = threshold;
        }

        public ReadOnlySpan<bool> Row(int start, int rows, bool[] removed)
        {
            int count = _areas.Length, columns = count - start;
            var row = _row.AsSpan(0, columns);
            row.Clear();
            float x0 = _boxes[4 * start], y0 = _boxes[4 * start + 1], x1 = _boxes[4 * start + 2], y1 = _boxes[4 * start + 3];
            float area = _areas[start];
            for (int j = start + 1; j < count; j++)
            {
                if (removed[j])
                    continue;
                float w = Math.Max(0f, Math.Min(x1, _boxes[4 * j + 2]) - Math.Max(x0, _boxes[4 * j]));
                float h = Math.Max(0f, Math.Min(y1, _boxes[4 * j + 3]) - Math.Max(y0, _boxes[4 * j + 1]));
                float intersection = w * h;
                row[j - start] = intersection / (area + _areas[j] - intersection) > _threshold;
            }
            return row;
        }
    }

    /// <summary>
    /// Boxes on an accelerator: the IoUs of a block of rows against the rest are computed there and cross to
    /// the host as one boolean matrix per block, as torchvision's CUDA kernel hands its bit masks over.
    /// </summary>
    private sealed class DeviceOverlaps
    {
        private readonly Tensor _sorted;
        private readonly double _threshold;

        public DeviceOverlaps(Tensor sorted, double threshold)
        {
            _sorted = sorted;
            _threshold = threshold;
        }

        public ReadOnlySpan<bool> Block(int start, int rows, bool[] removed)
        {
            using var scope = torch.NewDisposeScope();
            long columns = _sorted.shape[0] - start;
            return (BoxIou.Pairwise(_sorted.narrow(0, start, rows), _sorted.narrow(0, start, columns)) > _threshold)
                .cpu().data<bool>().ToArray();
        }
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
