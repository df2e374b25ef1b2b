using System.Runtime.CompilerServices;
namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// Gaussian smoothing of float planes as OpenCV's <c>GaussianBlur(src, dst, Size(0, 0), sigma, sigma)</c> computes it
/// for a <c>CV_32F</c> image: a separable kernel of <c>round(8·sigma + 1) | 1</c> taps,
/// <c>k_i = exp(-x_i²/(2·sigma²)) / Σ exp(...)</c> computed in double and stored as float, mirrored borders without
/// repeating the edge pixel (<c>BORDER_REFLECT_101</c>). Rows of up to 5 taps are summed centre and symmetric pairs,
/// longer rows tap by tap, columns centre first and then symmetric pairs, all with OpenCV 4.6's fused multiply-adds, so
/// that the 5-tap kernel of sigma = 0.5 (the graph segmentation's default) and the 7-tap one of sigma = 0.8 (selective
/// search) give OpenCV's floats bit for bit (a last-bit difference can flip a merge between nearly equal edges).
/// </summary>
internal static class GaussianSmoothing
{
    /// <summary>The kernel OpenCV's <c>getGaussianKernel(round(8·sigma + 1) | 1, sigma, CV_32F)</c> returns.</summary>
    public static float[] Kernel(double sigma)
    {
        int size = (int)Math.Round(sigma * 8 + 1, MidpointRounding.ToEven) | 1;
        var exact = new double[size];
        double scale = -0.5 / (sigma * sigma), sum = 0;
        for (int i = 0; i < size; i++)
        {
            double x = i - (size - 1) * 0.5;
            exact[i] = Math.Exp(scale * x * x);
            sum += exact[i];
        }
        sum = 1 / sum;
        var kernel = new float[size];
        for (int i = 0; i < size; i++)
            kernel[i] = (float)(exact[i] * sum);
        return kernel;
    }

    /// <summary>
    /// Smooths <paramref name="channels"/> interleaved 8-bit channels into planar floats (plane c holds channel c).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    public static float[][] Smooth(ReadOnlySpan<byte> pixels, int width, int height, int channels, double sigma)
    {
        var kernel = Kernel(sigma);
        int radius = kernel.Length / 2;
        int plane = width * height;
        var rowPass = new float[plane];
        var padded = new float[width + 2 * radius];
        var columnOffsets = new int[2 * radius + 1];
        var result = new float[channels][];
        for (int c = 0; c < channels; c++)
        {
            // Rows: tap by tap, s = fma(p_i, k_i, s), over a mirrored copy of the row.
            for (int y = 0; y < height; y++)
            {
                int row = y * width;
                for (int x = -radius; x < width + radius; x++)
                    padded[x + radius] = pixels[(row + Reflect101(x, width)) * channels + c];
                if (kernel.Length <= 5)
                {
                    // OpenCV's small symmetric row filter (3 or 5 taps): centre and pairs, contracted to fused
                    // multiply-adds as GCC compiles it: fma(p2, k2, fma(c, k0, p1·k1)).
                    float k0 = kernel[radius], k1 = radius >= 1 ? kernel[radius - 1] : 0, k2 = radius >= 2 ? kernel[radius - 2] : 0;
                    for (int x = 0; x < width; x++)
                    {
                        int at = x + radius;
                        float pair1 = radius >= 1 ? padded[at - 1] + padded[at + 1] : 0;
                        float s = MathF.FusedMultiplyAdd(padded[at], k0, pair1 * k1);
                        if (radius >= 2)
                            s = MathF.FusedMultiplyAdd(padded[at - 2] + padded[at + 2], k2, s);
                        rowPass[row + x] = s;
                    }
                }
                else
                {
                    for (int x = 0; x < width; x++)
                    {
                        float s = 0;
                        for (int i = 0; i < kernel.Length; i++)
                            s = MathF.FusedMultiplyAdd(padded[x + i], kernel[i], s);
                        rowPass[row + x] = s;
                    }
                }
            }
            // Columns: s = p_0·k_0, then s = fma(p_-i + p_+i, k_i, s) from the nearest pair out.
            var output = result[c] = new float[plane];
            float center = kernel[radius];
            for (int y = 0; y < height; y++)
            {
                for (int i = -radius; i <= radius; i++)
                    columnOffsets[i + radius] = Reflect101(y + i, height) * width;
                int row = y * width;
                for (int x = 0; x < width; x++)
                {
                    float s = rowPass[row + x] * center;
                    for (int i = 1; i <= radius; i++)
                        s = MathF.FusedMultiplyAdd(rowPass[columnOffsets[radius - i] + x] + rowPass[columnOffsets[radius + i] + x], kernel[radius - i], s);
                    output[row + x] = s;
                }
            }
        }
        return result;
    }

    /// <summary>OpenCV's <c>borderInterpolate(p, length, BORDER_REFLECT_101)</c>: -1 → 1, length → length - 2, repeated for short sides.</summary>
    public static int Reflect101(int p, int length)
    {
        if ((uint)p < (uint)length)
            return p;
        if (length == 1)
            return 0;
        do
        {
            p = p < 0 ? -p : 2 * length - 2 - p;
        }
        while ((uint)p >= (uint)length);
        return p;
    }
}
