namespace Microsoft.ML.DeepExtensions.Vision.Haar;

/// <summary>
/// The integral images a Haar cascade reads, for one image of the pyramid, as OpenCV's
/// <c>integral</c> defines them (each (W+1)x(H+1), row and column 0 are zero):
/// <c>sum(X,Y) = Σ_{x&lt;X, y&lt;Y} I(x,y)</c>, <c>sqsum(X,Y) = Σ_{x&lt;X, y&lt;Y} I(x,y)²</c>
/// (32-bit, wrapping like OpenCV's; differences of four corners are exact while a window's sum of
/// squares fits in 32 bits) and the 45° tilted sum <c>tilted(X,Y) = Σ_{y&lt;Y, |x-X+1| ≤ Y-y-1} I(x,y)</c>.
/// All three share one row stride, so the cascade's feature offsets hold for every pyramid level;
/// the tilted image follows the upright sums in the same buffer at <see cref="TiltedOffset"/>.
/// </summary>
internal sealed unsafe class IntegralImages
{
    private readonly int[] _sums;
    private readonly int[] _squares;
    private readonly int[]? _tiltedRows;

    /// <summary>Allocates buffers for images up to <paramref name="maxWidth"/> x <paramref name="maxHeight"/>.</summary>
    public IntegralImages(int maxWidth, int maxHeight, bool tilted)
    {
        Stride = maxWidth + 1;
        Rows = maxHeight + 1;
        TiltedOffset = tilted ? Stride * Rows : 0;
        _sums = GC.AllocateUninitializedArray<int>(Stride * Rows * (tilted ? 2 : 1), pinned: true);
        _squares = GC.AllocateUninitializedArray<int>(Stride * Rows, pinned: true);
        // Three rolling rows wide enough for the recurrence to reach every column it needs.
        _tiltedRows = tilted ? new int[3 * (maxWidth + 2 * maxHeight + 4)] : null;
    }

    /// <summary>Elements from one row to the next.</summary>
    public int Stride { get; }

    /// <summary>Rows allocated (the largest image height plus one).</summary>
    public int Rows { get; }

    /// <summary>Where the tilted sums start in <see cref="Sums"/>, or 0 when none are built.</summary>
    public int TiltedOffset { get; }

    /// <summary>Upright sums, then (when built) tilted sums; pinned.</summary>
    public int* Sums => (int*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _sums[0]);

    /// <summary>Sums of squares; pinned.</summary>
    public int* Squares => (int*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _squares[0]);

    public void Compute(byte* image, int width, int height, int imageStride)
    {
        if (width + 1 > Stride || height + 1 > Rows)
            throw new ArgumentException($"Image {width}x{height} exceeds the integral buffers ({Stride - 1}x{Rows - 1}).");
        int stride = Stride;
        int* sum = Sums, sq = Squares;
        new Span<int>(sum, width + 1).Clear();
        new Span<int>(sq, width + 1).Clear();
        for (int y = 1; y <= height; y++)
        {
            byte* src = image + (long)(y - 1) * imageStride;
            int* s = sum + y * stride, sAbove = s - stride;
            int* q = sq + y * stride, qAbove = q - stride;
            int rowSum = 0, rowSq = 0;
            s[0] = 0;
            q[0] = 0;
            for (int x = 1; x <= width; x++)
            {
                int v = src[x - 1];
                rowSum += v;
                rowSq += v * v;
                s[x] = sAbove[x] + rowSum;
                q[x] = unchecked(qAbove[x] + rowSq);
            }
        }
        if (TiltedOffset != 0)
            ComputeTilted(image, width, height, imageStride, sum + TiltedOffset);
    }

    // tilted(X,Y) = tilted(X-1,Y-1) + tilted(X+1,Y-1) - tilted(X,Y-2) + I(X-1,Y-1) + I(X-1,Y-2):
    // the two diagonal neighbours overlap in tilted(X,Y-2) and miss the column X-1 of the last two rows.
    // Columns left of 0 and right of W are not zero, so the recurrence runs on rows padded by the
    // image height on both sides.
    private void ComputeTilted(byte* image, int width, int height, int imageStride, int* tilted)
    {
        int stride = Stride;
        int pad = height + 2;
        int span = width + 2 * pad + 1;
        fixed (int* rows = _tiltedRows)
        {
            int* prev2 = rows, prev1 = rows + span, current = rows + 2 * span;
            new Span<int>(prev2, span).Clear();
            new Span<int>(prev1, span).Clear();
            new Span<int>(tilted, width + 1).Clear();
            for (int y = 1; y <= height; y++)
            {
                byte* row1 = image + (long)(y - 1) * imageStride;
                byte* row2 = y >= 2 ? image + (long)(y - 2) * imageStride : null;
                // Padded column p holds X = p - pad; only X within reach of the output needs computing.
                int reach = height - y + 1;
                int pFrom = Math.Max(1, pad - reach), pTo = Math.Min(span - 2, pad + width + reach);
                for (int p = pFrom; p <= pTo; p++)
                {
                    int x = p - pad - 1;
                    int v = prev1[p - 1] + prev1[p + 1] - prev2[p];
                    if ((uint)x < (uint)width)
                    {
                        v += row1[x];
                        if (row2 != null)
                            v += row2[x];
                    }
                    current[p] = v;
                }
                int* output = tilted + y * stride;
                for (int x = 0; x <= width; x++)
                    output[x] = current[pad + x];
                int* recycled = prev2;
                prev2 = prev1;
                prev1 = current;
                current = recycled;
            }
        }
    }
}
