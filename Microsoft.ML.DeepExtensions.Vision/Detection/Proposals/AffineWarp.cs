using System.Runtime.CompilerServices;
namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// OpenCV's <c>warpAffine(src, dst, M, size)</c> with bilinear interpolation and a constant zero border, in its
/// fixed-point form: M is inverted, source coordinates are computed in 1/1024 pixel and cut to 1/32 pixel, and the
/// four taps are weighted with the 32x32 bilinear table (in 15-bit integers for bytes, in floats for floats), so the
/// rotated images of the texture similarity are OpenCV's to the bit.
/// </summary>
internal static class AffineWarp
{
    private const int AbBits = 10;
    private const int InterBits = 5;
    private const int TableSize = 1 << InterBits;
    private const int CoefficientBits = 15;

    /// <summary>The 2x3 matrix OpenCV's <c>getRotationMatrix2D(center, angle, 1)</c> returns (angle in degrees, counter-clockwise).</summary>
    public static double[] RotationMatrix(double centerX, double centerY, double angleDegrees)
    {
        double angle = angleDegrees * Math.PI / 180;
        double alpha = Math.Cos(angle), beta = Math.Sin(angle);
        return new[] { alpha, beta, (1 - alpha) * centerX - beta * centerY, -beta, alpha, beta * centerX + (1 - alpha) * centerY };
    }

    /// <summary>Warps an 8-bit one-channel image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    public static byte[] Warp(byte[] source, int width, int height, double[] matrix, int outWidth, int outHeight)
    {
        var (sx, sy, fraction) = SourcePositions(matrix, outWidth, outHeight);
        var result = new byte[outWidth * outHeight];
        for (int i = 0; i < result.Length; i++)
        {
            int fx = fraction[i] & (TableSize - 1), fy = fraction[i] >> InterBits;
            // (1 − ax)(1 − ay)·2^15 etc.: exact integers, as in OpenCV's fixed-point bilinear table.
            int w0 = (TableSize - fy) * (TableSize - fx) * 32, w1 = (TableSize - fy) * fx * 32;
            int w2 = fy * (TableSize - fx) * 32, w3 = fy * fx * 32;
            int x = sx[i], y = sy[i];
            int sum = Tap(source, width, height, x, y) * w0 + Tap(source, width, height, x + 1, y) * w1
                + Tap(source, width, height, x, y + 1) * w2 + Tap(source, width, height, x + 1, y + 1) * w3;
            result[i] = (byte)Math.Clamp((sum + (1 << (CoefficientBits - 1))) >> CoefficientBits, 0, 255);
        }
        return result;
    }

    /// <summary>Warps a float one-channel image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    public static float[] Warp(float[] source, int width, int height, double[] matrix, int outWidth, int outHeight)
    {
        var (sx, sy, fraction) = SourcePositions(matrix, outWidth, outHeight);
        var result = new float[outWidth * outHeight];
        for (int i = 0; i < result.Length; i++)
        {
            float ax = (fraction[i] & (TableSize - 1)) * (1f / TableSize), ay = (fraction[i] >> InterBits) * (1f / TableSize);
            float w0 = (1f - ay) * (1f - ax), w1 = (1f - ay) * ax, w2 = ay * (1f - ax), w3 = ay * ax;
            int x = sx[i], y = sy[i];
            // Summed left to right in floats, without fused multiply-adds, as OpenCV's scalar remap does.
            result[i] = Tap(source, width, height, x, y) * w0 + Tap(source, width, height, x + 1, y) * w1
                + Tap(source, width, height, x, y + 1) * w2 + Tap(source, width, height, x + 1, y + 1) * w3;
        }
        return result;
    }

    /// <summary>Each output pixel's integer source position and its 1/32 fractions (fy·32 + fx).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    private static (int[] X, int[] Y, int[] Fraction) SourcePositions(double[] forward, int outWidth, int outHeight)
    {
        // Inverse of the forward map, as warpAffine computes it without WARP_INVERSE_MAP.
        var m = (double[])forward.Clone();
        double d = m[0] * m[4] - m[1] * m[3];
        d = d != 0 ? 1 / d : 0;
        double a11 = m[4] * d, a22 = m[0] * d;
        m[0] = a11;
        m[1] *= -d;
        m[3] *= -d;
        m[4] = a22;
        double b1 = -m[0] * m[2] - m[1] * m[5];
        double b2 = -m[3] * m[2] - m[4] * m[5];
        m[2] = b1;
        m[5] = b2;
        const int scale = 1 << AbBits;
        const int roundDelta = scale / TableSize / 2;
        var adelta = new int[outWidth];
        var bdelta = new int[outWidth];
        for (int x = 0; x < outWidth; x++)
        {
            adelta[x] = Round(m[0] * x * scale);
            bdelta[x] = Round(m[3] * x * scale);
        }
        int count = outWidth * outHeight;
        var sxs = new int[count];
        var sys = new int[count];
        var fractions = new int[count];
        for (int y = 0, i = 0; y < outHeight; y++)
        {
            int x0 = Round((m[1] * y + m[2]) * scale) + roundDelta;
            int y0 = Round((m[4] * y + m[5]) * scale) + roundDelta;
            for (int x = 0; x < outWidth; x++, i++)
            {
                int sx = (x0 + adelta[x]) >> (AbBits - InterBits);
                int sy = (y0 + bdelta[x]) >> (AbBits - InterBits);
                sxs[i] = sx >> InterBits;
                sys[i] = sy >> InterBits;
                fractions[i] = ((sy & (TableSize - 1)) << InterBits) | (sx & (TableSize - 1));
            }
        }
        return (sxs, sys, fractions);
    }

    private static int Round(double v) => (int)Math.Round(v, MidpointRounding.ToEven);

    private static int Tap(byte[] source, int width, int height, int x, int y) =>
        (uint)x < (uint)width && (uint)y < (uint)height ? source[y * width + x] : 0;

    private static float Tap(float[] source, int width, int height, int x, int y) =>
        (uint)x < (uint)width && (uint)y < (uint)height ? source[y * width + x] : 0f;
}
