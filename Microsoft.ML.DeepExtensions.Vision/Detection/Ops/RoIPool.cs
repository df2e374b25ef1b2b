using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Ops;

/// <summary>
/// RoI max pooling (Girshick, "Fast R-CNN", 2015, https://arxiv.org/abs/1504.08083; torchvision's <c>roi_pool</c>
/// and <c>RoIPool</c>): quantizes each region of interest to the feature grid, splits it into <c>h × w</c> bins
/// and keeps the maximum of each bin. Differentiable with respect to the features (the gradient of a bin goes to
/// its maximum), on any device.
/// </summary>
/// <remarks>
/// <para>For a box <c>(x0, y0, x1, y1)</c>: <c>xs = round(x0·scale)</c>, <c>xe = round(x1·scale)</c> (half away from
/// zero), width <c>max(xe − xs + 1, 1)</c>, bin width <c>bw = width / w</c>; bin <c>pw</c> covers columns
/// <c>[xs + floor(pw·bw), xs + ceil((pw + 1)·bw))</c> clipped to <c>[0, W]</c> (rows likewise). An empty bin
/// gives 0; ties keep the first maximum in row-major order. These are the rules of torchvision's
/// <c>roi_pool_kernel.cpp</c>; the tests compare values and gradients with torchvision 0.14.</para>
/// <para>Vectorized over all RoIs: each bin's pixels, padded to the chunk's largest bin, are gathered from the
/// channels-last feature table in one <c>index_select</c>, padding is set to −∞ and the maximum taken over the
/// bin axis (<see cref="RoIGather"/>); memory per chunk is bounded by <see cref="RoIChunks.MaxChunkElements"/>
/// values. In the backward pass each chunk adds its gradient into a feature-sized tensor of its own (autograd then
/// sums them), so very many chunks cost one feature map of memory traffic each. Boxes receive no gradient.</para>
/// </remarks>
public sealed class RoIPool : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly (int Height, int Width) _outputSize;
    private readonly double _spatialScale;

    /// <summary>Creates the module form of <see cref="Apply(Tensor, Tensor, ValueTuple{int, int}, double)"/>.</summary>
    /// <param name="outputSize">Bins per RoI, <c>(h, w)</c>; both positive.</param>
    /// <param name="spatialScale">Feature-map size / image size; positive.</param>
    public RoIPool((int Height, int Width) outputSize, double spatialScale) : base(nameof(RoIPool))
    {
        RoIChecks.CheckOutputSize(outputSize, nameof(outputSize));
        RoIChecks.CheckSpatialScale(spatialScale, nameof(spatialScale));
        (_outputSize, _spatialScale) = (outputSize, spatialScale);
    }

    /// <summary>Pools <paramref name="rois"/> (<c>[K, 5]</c>: batch index, x0, y0, x1, y1) from <paramref name="input"/>.</summary>
    public override Tensor forward(Tensor input, Tensor rois) => Apply(input, rois, _outputSize, _spatialScale);

    /// <summary>Pools per-image boxes (<c>[Ki, 4]</c> each, image i of <paramref name="input"/>) in list order.</summary>
    public Tensor forward(Tensor input, IReadOnlyList<Tensor> boxes) => Apply(input, boxes, _outputSize, _spatialScale);

    /// <summary>RoI max pooling of <c>[K, 5]</c> RoIs.</summary>
    /// <param name="input">Features <c>[N, C, H, W]</c>, floating point.</param>
    /// <param name="rois"><c>[K, 5]</c>: batch index (an integer in <c>[0, N)</c>), then x0, y0, x1, y1 in image pixels; finite, on <paramref name="input"/>'s device.</param>
    /// <param name="outputSize">Bins per RoI, <c>(h, w)</c>; both positive.</param>
    /// <param name="spatialScale">Feature-map size / image size; positive. Defaults to 1.</param>
    /// <returns><c>[K, C, h, w]</c>, in the order of <paramref name="rois"/>.</returns>
    public static Tensor Apply(Tensor input, Tensor rois, (int Height, int Width) outputSize, double spatialScale = 1.0)
    {
        RoIChecks.CheckFeatures(input, nameof(input));
        RoIChecks.CheckOutputSize(outputSize, nameof(outputSize));
        RoIChecks.CheckSpatialScale(spatialScale, nameof(spatialScale));
        RoIChecks.CheckRois(rois, input, nameof(rois));
        return Pool(input, rois, outputSize, spatialScale);
    }

    /// <summary>RoI max pooling of per-image boxes: <paramref name="boxes"/>[i] is <c>[Ki, 4]</c> of image i.</summary>
    /// <returns><c>[ΣKi, C, h, w]</c>, image 0's boxes first.</returns>
    public static Tensor Apply(Tensor input, IReadOnlyList<Tensor> boxes, (int Height, int Width) outputSize, double spatialScale = 1.0)
    {
        RoIChecks.CheckFeatures(input, nameof(input));
        using var scope = torch.NewDisposeScope();
        return Apply(input, RoIChecks.ToRois(boxes, input, nameof(boxes)), outputSize, spatialScale).MoveToOuterDisposeScope();
    }

    private static Tensor Pool(Tensor input, Tensor rois, (int Height, int Width) outputSize, double spatialScale)
    {
        long roiCount = rois.shape[0];
        if (roiCount == 0)
            return RoIGather.NoRois(input, outputSize);
        using var scope = torch.NewDisposeScope();
        long channels = input.shape[1], height = input.shape[2], width = input.shape[3];
        int binRows = outputSize.Height, binColumns = outputSize.Width;
        var r = rois.detach().to(ScalarType.Float64);
        var (rowStart, rowEnd) = Bins(r[.., 2], r[.., 4], spatialScale, binRows, height, input.dtype);
        var (columnStart, columnEnd) = Bins(r[.., 1], r[.., 3], spatialScale, binColumns, width, input.dtype);
        // A chunk gathers every bin at its largest bin; at least one pixel so the maximum has an axis to run over.
        var (extentY, extentX) = RoIGather.HostExtents((rowEnd - rowStart).amax(1).clamp_min(1), (columnEnd - columnStart).amax(1).clamp_min(1));
        long perExtentCell = binRows * binColumns * channels;
        var (order, chunks) = RoIChunks.Plan(extentY, extentX, perExtentCell);

        var table = RoIGather.PixelRows(input);
        var batch = r[.., 0].to(ScalarType.Int64);
        return RoIGather.Run(roiCount, input.device, order, chunks, (positions, chunk) =>
        {
            long k = chunk.Count;
            int ey = chunk.ExtentY, ex = chunk.ExtentX;
            var (rows, rowInside) = Pixels(rowStart.index_select(0, positions), rowEnd.index_select(0, positions), ey);
            var (columns, columnInside) = Pixels(columnStart.index_select(0, positions), columnEnd.index_select(0, positions), ex);
            // [k, h, w, ey, ex]: the pixels of every bin, row-major inside the bin (first maximum wins, as in the kernel).
            var index = (batch.index_select(0, positions) * (height * width)).view(k, 1, 1, 1, 1)
                + (rows * width).view(k, binRows, 1, ey, 1)
                + columns.view(k, 1, binColumns, 1, ex);
            var inside = rowInside.view(k, binRows, 1, ey, 1) & columnInside.view(k, 1, binColumns, 1, ex);
            long cells = k * binRows * binColumns, pixels = (long)ey * ex;
            var values = table.index_select(0, index.reshape(-1)).view(cells, pixels, channels)
                .masked_fill(inside.reshape(cells, pixels, 1).logical_not(), double.NegativeInfinity);
            var maxima = values.max(1).values;
            var empty = inside.reshape(cells, pixels).any(1).logical_not();
            return maxima.masked_fill(empty.view(cells, 1), 0).view(k, binRows, binColumns, channels);
        }).MoveToOuterDisposeScope();
    }

    /// <summary>Bin bounds along one axis, <c>[K, bins]</c> each (int64, clipped to <c>[0, size]</c>).</summary>
    private static (Tensor Start, Tensor End) Bins(Tensor low, Tensor high, double spatialScale, int bins, long size, ScalarType inputType)
    {
        var start = RoundHalfAwayFromZero(low * spatialScale);
        var end = RoundHalfAwayFromZero(high * spatialScale);
        // The kernel divides in the input's type: (T)roi_size / (T)bins.
        var binType = inputType == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        var binSize = ((end - start + 1).clamp_min(1).to(binType) / bins).view(-1, 1);
        var index = torch.arange(bins, binType, low.device).view(1, bins);
        var offset = start.view(-1, 1);
        var binStart = ((index * binSize).floor().to(ScalarType.Float64) + offset).clamp(0, size);
        var binEnd = (((index + 1) * binSize).ceil().to(ScalarType.Float64) + offset).clamp(0, size);
        return (binStart.to(ScalarType.Int64), binEnd.to(ScalarType.Int64));
    }

    /// <summary>C's <c>round</c>: halves away from zero (<c>torch.round</c> rounds them to even).</summary>
    private static Tensor RoundHalfAwayFromZero(Tensor x) => x.sign() * (x.abs() + 0.5).floor();

    /// <summary>Pixel positions <c>start + i</c>, <c>i &lt; extent</c>, of each bin (<c>[k, bins, extent]</c>) and whether they lie inside it.</summary>
    private static (Tensor Pixels, Tensor Inside) Pixels(Tensor start, Tensor end, int extent)
    {
        var step = torch.arange(extent, ScalarType.Int64, start.device).view(1, 1, extent);
        var pixel = start.unsqueeze(2) + step;
        var inside = pixel < end.unsqueeze(2);
        return (pixel.masked_fill(inside.logical_not(), 0), inside);
    }
}
