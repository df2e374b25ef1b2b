using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Ops;

/// <summary>
/// What <see cref="RoIAlign"/> and <see cref="RoIPool"/> share: the feature map as a table of channels-last pixel rows,
/// the empty output, host copies of per-RoI extents, and (for RoIPool) the chunk loop that gathers each bin's pixels
/// and assembles the <c>[K, C, h, w]</c> output in input order.
/// </summary>
/// <remarks>
/// RoIPool reads, for each output bin of each RoI, a fixed number of pixel rows of <c>C</c> channels, picked by one
/// flat index <c>batch·H·W + y·W + x</c> into the table (<c>index_select</c> copies whole rows) and reduced by a
/// batched max. Autograd follows these ops: <c>index_select</c>'s backward adds each bin's gradient into the pixel it
/// came from, the scatter of torchvision's backward kernel.
/// </remarks>
internal static class RoIGather
{
    /// <summary>Per-RoI computation of one chunk: positions of its RoIs in <c>rois</c>, the chunk; returns <c>[Kc, h, w, C]</c>.</summary>
    public delegate Tensor ChunkKernel(Tensor positions, RoIChunks.Chunk chunk);

    /// <summary><c>[N, C, H, W]</c> features as <c>[N·H·W, C]</c> rows (one copy per call, not per chunk).</summary>
    public static Tensor PixelRows(Tensor input) => input.permute(0, 2, 3, 1).reshape(-1, input.shape[1]);

    /// <summary>The <c>[0, C, h, w]</c> output of a call without RoIs, still connected to <paramref name="input"/> for autograd.</summary>
    public static Tensor NoRois(Tensor input, (int Height, int Width) outputSize) =>
        input.narrow(0, 0, 0).reshape(0, input.shape[1], outputSize.Height, outputSize.Width);

    /// <summary>Runs <paramref name="kernel"/> over the planned chunks and returns <c>[K, C, h, w]</c> in input order.</summary>
    public static Tensor Run(long roiCount, Device device, long[]? order, IReadOnlyList<RoIChunks.Chunk> chunks, ChunkKernel kernel)
    {
        using var scope = torch.NewDisposeScope();
        var orderTensor = order is null ? null : torch.tensor(order, device: device);
        var parts = chunks.Select(c => kernel(
            orderTensor is null ? torch.arange(c.Start, c.Start + c.Count, dtype: ScalarType.Int64, device: device) : orderTensor.narrow(0, c.Start, c.Count),
            c)).ToArray();
        var all = parts.Length == 1 ? parts[0] : torch.cat(parts, 0);
        if (orderTensor is not null)
            all = all.index_select(0, orderTensor.argsort()); // the inverse permutation puts row j back at order[j]
        if (all.shape[0] != roiCount)
            throw new InvalidOperationException($"RoI chunks produced {all.shape[0]} rows for {roiCount} RoIs.");
        return all.permute(0, 3, 1, 2).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>One host copy of per-RoI integer extents (capped at 2^20, far above what <see cref="CheckSingleRoiSize"/> lets through), as two arrays.</summary>
    public static (int[] Y, int[] X) HostExtents(Tensor extentY, Tensor extentX)
    {
        using var scope = torch.NewDisposeScope();
        var both = torch.stack(new[] { extentY, extentX }).clamp(0, 1 << 20).to(ScalarType.Int64).cpu().data<long>().ToArray();
        int count = both.Length / 2;
        return (both.Take(count).Select(v => (int)v).ToArray(), both.Skip(count).Select(v => (int)v).ToArray());
    }

    /// <summary>Throws when one RoI alone would lay out more than <paramref name="limit"/> elements (a memory blow-up, not a slow call).</summary>
    public static void CheckSingleRoiSize(int[] extentY, int[] extentX, long elementsPerExtentCell, long limit, string what, string remedy)
    {
        for (int i = 0; i < extentY.Length; i++)
        {
            if ((long)extentY[i] * extentX[i] * elementsPerExtentCell > limit)
                throw new ArgumentException(
                    $"RoI {i} needs {extentY[i]} x {extentX[i]} {what} per output bin, {(long)extentY[i] * extentX[i] * elementsPerExtentCell} elements, " +
                    $"more than this operator lays out for one RoI ({limit}); {remedy}");
        }
    }
}
