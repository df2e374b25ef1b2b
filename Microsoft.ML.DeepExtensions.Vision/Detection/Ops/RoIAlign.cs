using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Ops;

/// <summary>
/// RoIAlign (He et al., "Mask R-CNN", 2017, https://arxiv.org/abs/1703.06870; torchvision's <c>roi_align</c> and
/// <c>RoIAlign</c>): pools each region of interest into a fixed <c>h × w</c> grid of bins, each bin the average of
/// bilinearly interpolated feature values at regularly spaced sampling points, with no rounding of the region.
/// Differentiable with respect to the features, on any device.
/// </summary>
/// <remarks>
/// <para>For a box <c>(x0, y0, x1, y1)</c> in image pixels, with <c>o = 0.5</c> when <c>aligned</c> and 0
/// otherwise: region start <c>x0·scale − o</c>, size <c>rw = x1·scale − x0·scale</c> (at least 1 when not
/// aligned), bin size <c>rw / w</c>, <c>gx</c> sampling points per bin and axis (<c>samplingRatio</c>, or
/// <c>ceil(rw / w)</c> when it is 0 or negative), sample <c>ix</c> of bin <c>pw</c> at
/// <c>start + pw·bin + (ix + ½)·bin / gx</c>. A sample outside <c>[−1, W]</c> (or <c>[−1, H]</c>) counts as 0;
/// otherwise it is clamped to <c>[0, W − 1]</c> and interpolated between its two neighbouring pixels. A bin is
/// the sum over its <c>gy·gx</c> samples divided by <c>max(gy·gx, 1)</c>. These are the formulas of
/// torchvision's <c>roi_align_kernel.cpp</c>; the tests compare values and gradients with torchvision 0.14.</para>
/// <para>Vectorized over all RoIs: the bins of all RoIs are one sparse matrix product. The flat pixel index
/// (<c>batch·H·W + y·W + x</c>) and weight (bilinear weight / samples of the bin) of every (RoI, bin, sample,
/// neighbour) are computed at once and form a sparse <c>[K·h·w, N·H·W]</c> interpolation matrix, which multiplies the
/// channels-last <c>[N·H·W, C]</c> feature table: no per-RoI loop and no <c>K × samples × C</c> temporary. Autograd's
/// backward is the transposed product, which adds each bin's gradient into the pixels it read (torchvision's backward
/// kernel). Memory: the matrix holds one entry per nonzero weight (at most <c>4·gy·gx</c> per bin; 20 bytes each);
/// the entries are built in chunks of at most <see cref="RoIChunks.MaxChunkElements"/> (with the adaptive sampling
/// ratio RoIs of similar grids share a chunk, since a chunk lays out all its RoIs at its largest grid). Boxes receive
/// no gradient (as in torchvision).</para>
/// </remarks>
public sealed class RoIAlign : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly (int Height, int Width) _outputSize;
    private readonly double _spatialScale;
    private readonly int _samplingRatio;
    private readonly bool _aligned;

    /// <summary>Creates the module form of <see cref="Apply(Tensor, Tensor, ValueTuple{int, int}, double, int, bool)"/>.</summary>
    /// <param name="outputSize">Bins per RoI, <c>(h, w)</c>; both positive.</param>
    /// <param name="spatialScale">Feature-map size / image size (e.g. 1/16 for stride 16); positive.</param>
    /// <param name="samplingRatio">Sampling points per bin and axis; 0 or negative: adaptive, <c>ceil(roi size / output size)</c> per RoI. Defaults to -1.</param>
    /// <param name="aligned">Shift boxes by half a pixel so pixel centers line up (Detectron2); defaults to false (torchvision's default).</param>
    public RoIAlign((int Height, int Width) outputSize, double spatialScale, int samplingRatio = -1, bool aligned = false) : base(nameof(RoIAlign))
    {
        RoIChecks.CheckOutputSize(outputSize, nameof(outputSize));
        RoIChecks.CheckSpatialScale(spatialScale, nameof(spatialScale));
        (_outputSize, _spatialScale, _samplingRatio, _aligned) = (outputSize, spatialScale, samplingRatio, aligned);
    }

    /// <summary>Pools <paramref name="rois"/> (<c>[K, 5]</c>: batch index, x0, y0, x1, y1) from <paramref name="input"/>.</summary>
    public override Tensor forward(Tensor input, Tensor rois) => Apply(input, rois, _outputSize, _spatialScale, _samplingRatio, _aligned);

    /// <summary>Pools per-image boxes (<c>[Ki, 4]</c> each, image i of <paramref name="input"/>) in list order.</summary>
    public Tensor forward(Tensor input, IReadOnlyList<Tensor> boxes) => Apply(input, boxes, _outputSize, _spatialScale, _samplingRatio, _aligned);

    /// <summary>RoIAlign of <c>[K, 5]</c> RoIs.</summary>
    /// <param name="input">Features <c>[N, C, H, W]</c>, floating point.</param>
    /// <param name="rois"><c>[K, 5]</c>: batch index (an integer in <c>[0, N)</c>), then x0, y0, x1, y1 in image pixels; finite, on <paramref name="input"/>'s device.</param>
    /// <param name="outputSize">Bins per RoI, <c>(h, w)</c>; both positive.</param>
    /// <param name="spatialScale">Feature-map size / image size; positive. Defaults to 1.</param>
    /// <param name="samplingRatio">Sampling points per bin and axis; 0 or negative: adaptive. Defaults to -1.</param>
    /// <param name="aligned">Half-pixel offset; defaults to false.</param>
    /// <returns><c>[K, C, h, w]</c>, in the order of <paramref name="rois"/>, <paramref name="input"/>'s dtype and device.</returns>
    public static Tensor Apply(Tensor input, Tensor rois, (int Height, int Width) outputSize, double spatialScale = 1.0, int samplingRatio = -1, bool aligned = false)
    {
        RoIChecks.CheckFeatures(input, nameof(input));
        RoIChecks.CheckOutputSize(outputSize, nameof(outputSize));
        RoIChecks.CheckSpatialScale(spatialScale, nameof(spatialScale));
        RoIChecks.CheckRois(rois, input, nameof(rois));
        return Compute(input, rois, outputSize, spatialScale, samplingRatio, aligned);
    }

    /// <summary>RoIAlign of per-image boxes: <paramref name="boxes"/>[i] is <c>[Ki, 4]</c> (x0, y0, x1, y1) of image i.</summary>
    /// <returns><c>[ΣKi, C, h, w]</c>, image 0's boxes first.</returns>
    public static Tensor Apply(Tensor input, IReadOnlyList<Tensor> boxes, (int Height, int Width) outputSize, double spatialScale = 1.0, int samplingRatio = -1, bool aligned = false)
    {
        RoIChecks.CheckFeatures(input, nameof(input));
        using var scope = torch.NewDisposeScope();
        return Apply(input, RoIChecks.ToRois(boxes, input, nameof(boxes)), outputSize, spatialScale, samplingRatio, aligned).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <see cref="Apply(Tensor, Tensor, ValueTuple{int, int}, double, int, bool)"/> without the argument checks (and
    /// their host round trip), with a chunk bound of choice and optionally the pixel table
    /// (<see cref="RoIGather.PixelRows"/> of <paramref name="input"/>) made once by the caller: for the per-box
    /// baseline of <c>deepext bench roi-align</c> and for tests that force many chunks on small inputs.
    /// </summary>
    internal static Tensor Compute(Tensor input, Tensor rois, (int Height, int Width) outputSize, double spatialScale, int samplingRatio, bool aligned,
        long maxChunkElements = RoIChunks.MaxChunkElements, Tensor? pixelRows = null)
    {
        long roiCount = rois.shape[0];
        if (roiCount == 0)
            return RoIGather.NoRois(input, outputSize);
        using var scope = torch.NewDisposeScope();
        long channels = input.shape[1], height = input.shape[2], width = input.shape[3];
        int binRows = outputSize.Height, binColumns = outputSize.Width;
        // torchvision computes coordinates in the input's type; half precision would lose whole pixels, so at least float32.
        var coordinateType = input.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        var r = rois.detach().to(coordinateType);
        double offset = aligned ? 0.5 : 0.0;
        var startX = r[.., 1] * spatialScale - offset;
        var startY = r[.., 2] * spatialScale - offset;
        var roiWidth = r[.., 3] * spatialScale - offset - startX;
        var roiHeight = r[.., 4] * spatialScale - offset - startY;
        if (!aligned)
        {
            roiWidth = roiWidth.clamp_min(1);
            roiHeight = roiHeight.clamp_min(1);
        }
        var binHeight = roiHeight / binRows;
        var binWidth = roiWidth / binColumns;
        Tensor gridY, gridX;
        if (samplingRatio > 0)
        {
            gridY = torch.full(roiCount, samplingRatio, coordinateType, input.device);
            gridX = gridY;
        }
        else
        {
            // No samples (and a zero bin) when the region has no positive size, as the kernel's empty loops.
            gridY = (roiHeight / binRows).ceil().clamp_min(0);
            gridX = (roiWidth / binColumns).ceil().clamp_min(0);
        }
        var count = (gridY * gridX).clamp_min(1);
        // Interpolation entries: four neighbours per sample.
        long perExtentCell = binRows * binColumns * 4L;
        int[] extentY, extentX;
        if (samplingRatio > 0)
            (extentY, extentX) = (Enumerable.Repeat(samplingRatio, (int)roiCount).ToArray(), Enumerable.Repeat(samplingRatio, (int)roiCount).ToArray());
        else
            (extentY, extentX) = RoIGather.HostExtents(gridY, gridX);
        // 2^25 entries, about 1.3 GB while built: an adaptive grid this large means a box thousands of cells wide.
        RoIGather.CheckSingleRoiSize(extentY, extentX, perExtentCell, 1L << 25, "sampling points", "pass a positive samplingRatio.");
        var (order, chunks) = RoIChunks.Plan(extentY, extentX, perExtentCell, maxChunkElements);

        var perRoi = torch.stack(new[] { r[.., 0], startY, startX, binHeight, binWidth, gridY, gridX, count }, 1);
        var orderTensor = order is null ? null : torch.tensor(order, device: input.device);
        var cellRows = new List<Tensor>();
        var pixelColumns = new List<Tensor>();
        var weights = new List<Tensor>();
        foreach (var chunk in chunks)
        {
            using var chunkScope = torch.NewDisposeScope();
            var positions = orderTensor?.narrow(0, chunk.Start, chunk.Count)
                ?? torch.arange(chunk.Start, chunk.Start + chunk.Count, dtype: ScalarType.Int64, device: input.device);
            // Only RoIs laid out on a larger grid than their own have padding entries worth dropping.
            bool padded = Enumerable.Range(chunk.Start, chunk.Count)
                .Any(j => extentY[order?[j] ?? j] != chunk.ExtentY || extentX[order?[j] ?? j] != chunk.ExtentX);
            var (cells, pixels, weight) = Entries(perRoi.index_select(0, positions), positions, outputSize,
                Math.Max(chunk.ExtentY, 1), Math.Max(chunk.ExtentX, 1), height, width, padded);
            cellRows.Add(cells.MoveToOuterDisposeScope());
            pixelColumns.Add(pixels.MoveToOuterDisposeScope());
            weights.Add(weight.MoveToOuterDisposeScope());
        }

        // One sparse [K·h·w, N·H·W] interpolation matrix times the [N·H·W, C] pixel table gives every bin of every RoI;
        // autograd's backward is the transposed product, which adds each bin's gradient into the pixels it read.
        var indices = torch.stack(new[] { Concatenate(cellRows), Concatenate(pixelColumns) });
        var matrix = torch.sparse_coo_tensor(indices, Concatenate(weights).to(input.dtype),
            new[] { roiCount * binRows * binColumns, input.shape[0] * height * width });
        var pooled = torch.mm(matrix, pixelRows ?? RoIGather.PixelRows(input));
        return pooled.view(roiCount, binRows, binColumns, channels).permute(0, 3, 1, 2).contiguous().MoveToOuterDisposeScope();
    }

    private static Tensor Concatenate(List<Tensor> parts) => parts.Count == 1 ? parts[0] : torch.cat(parts, 0);

    /// <summary>
    /// The interpolation entries of a chunk of RoIs: output row (RoI·h·w + bin), pixel column (batch·H·W + y·W + x)
    /// and weight (bilinear weight / samples of the bin). A pixel read by several samples of a bin appears once per
    /// sample; the sparse product sums them. Samples outside the map have weight 0; when <paramref name="padded"/>,
    /// zero-weight entries (mostly padding of RoIs with a smaller grid than the chunk's) are dropped.
    /// </summary>
    private static (Tensor Rows, Tensor Columns, Tensor Weights) Entries(Tensor p, Tensor positions, (int Height, int Width) outputSize,
        int gy, int gx, long height, long width, bool padded)
    {
        long k = p.shape[0];
        int binRows = outputSize.Height, binColumns = outputSize.Width;
        var (rowIndex, rowWeight) = Axis(p[.., 1], p[.., 3], p[.., 5], binRows, gy, height);
        var (columnIndex, columnWeight) = Axis(p[.., 2], p[.., 4], p[.., 6], binColumns, gx, width);
        // [k, h, w, gy, 2, gx, 2]: every bin's samples and their four neighbours.
        var pixel = (p[.., 0].to(ScalarType.Int64) * (height * width)).view(k, 1, 1, 1, 1, 1, 1)
            + (rowIndex * width).view(k, binRows, 1, gy, 2, 1, 1)
            + columnIndex.view(k, 1, binColumns, 1, 1, gx, 2);
        var weight = rowWeight.view(k, binRows, 1, gy, 2, 1, 1) * columnWeight.view(k, 1, binColumns, 1, 1, gx, 2)
            / p[.., 7].view(k, 1, 1, 1, 1, 1, 1);
        var cell = (positions * (binRows * binColumns)).view(k, 1, 1) + torch.arange(binRows * binColumns, ScalarType.Int64, p.device).view(1, binRows, binColumns);
        var shape = new long[] { k, binRows, binColumns, gy, 2, gx, 2 };
        var row = cell.view(k, binRows, binColumns, 1, 1, 1, 1).expand(shape);
        if (!padded)
            return (row.reshape(-1), pixel.reshape(-1), weight.reshape(-1));
        var keep = weight != 0;
        return (row.masked_select(keep), pixel.masked_select(keep), weight.masked_select(keep));
    }

    /// <summary>
    /// The sampling points of one axis: for each RoI, bin and sample, the two neighbouring pixel indices and their
    /// bilinear weights (<c>[k, bins, samples, 2]</c> each), zero weights for samples outside <c>[−1, size]</c> and
    /// for padding samples beyond the RoI's own grid.
    /// </summary>
    private static (Tensor Index, Tensor Weight) Axis(Tensor start, Tensor binSize, Tensor grid, int bins, int samples, long size)
    {
        var type = start.dtype;
        var bin = torch.arange(bins, type, start.device).view(1, bins, 1);
        var sample = torch.arange(samples, type, start.device).view(1, 1, samples);
        var binSize3 = binSize.view(-1, 1, 1);
        var grid3 = grid.view(-1, 1, 1);
        // Same operation order as the kernel: start + pw·bin + (ix + .5)·bin / grid.
        var position = start.view(-1, 1, 1) + bin * binSize3 + (sample + 0.5) * binSize3 / grid3;
        var valid = (sample < grid3) & (position >= -1.0) & (position <= size);
        position = position.masked_fill(valid.logical_not(), 0).clamp_min(0);
        var low = position.floor();
        var atEdge = low >= size - 1;
        low = low.masked_fill(atEdge, size - 1);
        position = position.masked_fill(atEdge, size - 1);
        var high = torch.where(atEdge, low, low + 1);
        var fraction = position - low;
        var zero = torch.zeros_like(fraction);
        var index = torch.stack(new[] { low, high }, -1).to(ScalarType.Int64);
        var weight = torch.stack(new[] { torch.where(valid, 1 - fraction, zero), torch.where(valid, fraction, zero) }, -1);
        return (index, weight);
    }
}
