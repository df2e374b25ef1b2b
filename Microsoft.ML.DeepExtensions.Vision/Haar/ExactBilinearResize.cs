namespace Microsoft.ML.DeepExtensions.Vision.Haar;

/// <summary>
/// Bilinear resampling of an 8-bit gray image with the bit-exact fixed-point arithmetic OpenCV
/// documents for <c>INTER_LINEAR_EXACT</c>, so that the image pyramid, and with it every Haar
/// feature value, is identical to OpenCV's:
/// the source coordinate of output pixel <c>d</c> is <c>s = (d + 0.5) * src/dst - 0.5</c> in double
/// precision; its weights are 8-bit fixed point (<c>w1 = round_half_even(frac(s) * 256)</c>,
/// <c>w0 = 256 - w1</c>); rows are interpolated first (16-bit intermediate), columns second, and the
/// result rounded half up (<c>(v + 2^15) &gt;&gt; 16</c>). Positions left of the first pixel or right
/// of the last one take that pixel.
/// </summary>
internal static unsafe class ExactBilinearResize
{
    private const int WeightOne = 256;

    /// <summary>The source index and weights of each output position along one axis.</summary>
    internal readonly struct Axis
    {
        public readonly int[] Offsets;
        public readonly ushort[] Weights1;
        /// <summary>Outputs before this one take the first source pixel alone.</summary>
        public readonly int First;
        /// <summary>Outputs from this one on take the last source pixel alone.</summary>
        public readonly int Last;

        public Axis(int sourceSize, int destinationSize)
        {
            Offsets = new int[destinationSize];
            Weights1 = new ushort[destinationSize];
            double inverseScale = (double)destinationSize / sourceSize;
            double scale = 1.0 / inverseScale;
            int first = 0, last = destinationSize;
            for (int d = 0; d < destinationSize; d++)
            {
                double s = scale * (d + 0.5) - 0.5;
                int index = (int)Math.Floor(s);
                if (index >= 0 && sourceSize > 1)
                {
                    if (index < sourceSize - 1)
                    {
                        Offsets[d] = index;
                        Weights1[d] = (ushort)Math.Round((s - index) * WeightOne, MidpointRounding.ToEven);
                    }
                    else
                    {
                        Offsets[d] = sourceSize - 1;
                        last = Math.Min(last, d);
                    }
                }
                else
                {
                    first = Math.Max(first, d + 1);
                }
            }
            First = first;
            Last = last;
        }
    }

    /// <summary>Resizes <paramref name="source"/> into <paramref name="destination"/> (both row-major, given strides).</summary>
    public static void Resize(byte* source, int sourceWidth, int sourceHeight, int sourceStride,
        byte* destination, int destinationWidth, int destinationHeight, int destinationStride)
    {
        if (sourceWidth == destinationWidth && sourceHeight == destinationHeight)
        {
            for (int y = 0; y < sourceHeight; y++)
                Buffer.MemoryCopy(source + (long)y * sourceStride, destination + (long)y * destinationStride, destinationWidth, sourceWidth);
            return;
        }
        var xs = new Axis(sourceWidth, destinationWidth);
        var ys = new Axis(sourceHeight, destinationHeight);
        // Two horizontally interpolated rows (8 fractional bits each), reused while the source rows stay the same.
        var rowA = new ushort[destinationWidth];
        var rowB = new ushort[destinationWidth];
        int rowAIndex = -1, rowBIndex = -1;
        fixed (int* xOffsets = xs.Offsets)
        fixed (ushort* xWeights = xs.Weights1)
        fixed (ushort* a0 = rowA)
        fixed (ushort* b0 = rowB)
        {
            ushort* a = a0, b = b0;
            for (int dy = 0; dy < destinationHeight; dy++)
            {
                byte* outRow = destination + (long)dy * destinationStride;
                bool single = dy < ys.First || dy >= ys.Last;
                int top = dy < ys.First ? 0 : ys.Offsets[dy];
                if (top != rowAIndex)
                {
                    if (top == rowBIndex)
                    {
                        ushort* swap = a;
                        a = b;
                        b = swap;
                        (rowAIndex, rowBIndex) = (rowBIndex, rowAIndex);
                    }
                    else
                    {
                        Horizontal(source + (long)top * sourceStride, xOffsets, xWeights, xs.First, xs.Last, a, destinationWidth);
                        rowAIndex = top;
                    }
                }
                if (single)
                {
                    for (int x = 0; x < destinationWidth; x++)
                        outRow[x] = (byte)((a[x] + (WeightOne >> 1)) >> 8);
                    continue;
                }
                int bottom = top + 1;
                if (bottom != rowBIndex)
                {
                    Horizontal(source + (long)bottom * sourceStride, xOffsets, xWeights, xs.First, xs.Last, b, destinationWidth);
                    rowBIndex = bottom;
                }
                uint w1 = ys.Weights1[dy], w0 = WeightOne - w1;
                for (int x = 0; x < destinationWidth; x++)
                {
                    uint v = a[x] * w0 + b[x] * w1;
                    outRow[x] = (byte)((v + (1u << 15)) >> 16);
                }
            }
        }
    }

    private static void Horizontal(byte* row, int* offsets, ushort* weights1, int first, int last, ushort* output, int width)
    {
        int x = 0;
        for (; x < first && x < width; x++)
            output[x] = (ushort)(row[0] << 8);
        int end = Math.Min(last, width);
        for (; x < end; x++)
        {
            int o = offsets[x];
            uint w1 = weights1[x];
            output[x] = (ushort)(row[o] * (WeightOne - w1) + row[o + 1] * w1);
        }
        for (; x < width; x++)
            output[x] = (ushort)(row[offsets[x]] << 8);
    }
}
