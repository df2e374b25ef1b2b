using System.Runtime.CompilerServices;
namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// 8-bit BGR to HSV as OpenCV's <c>cvtColor(..., COLOR_BGR2HSV)</c> computes it: V = max(R, G, B),
/// S = 255·(V − min)/V and H = 30·(hue sector + offset)/(V − min), H in 0 .. 179 (degrees / 2), all in 12-bit fixed
/// point with OpenCV's division tables, so every one of the 2^24 colours converts to the same bytes.
/// </summary>
internal static class HsvConversion
{
    private const int Shift = 12;
    private static readonly int[] SaturationDivisors = Divisors(255 << Shift, 1);
    private static readonly int[] HueDivisors = Divisors(180 << Shift, 6);

    /// <summary>Interleaved H, S, V bytes of interleaved B, G, R bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    public static byte[] FromBgr(ReadOnlySpan<byte> bgr)
    {
        var hsv = new byte[bgr.Length];
        for (int i = 0; i < bgr.Length; i += 3)
        {
            int b = bgr[i], g = bgr[i + 1], r = bgr[i + 2];
            int v = Math.Max(b, Math.Max(g, r));
            int diff = v - Math.Min(b, Math.Min(g, r));
            int s = (diff * SaturationDivisors[v] + (1 << (Shift - 1))) >> Shift;
            int h = v == r ? g - b : v == g ? b - r + 2 * diff : r - g + 4 * diff;
            h = (h * HueDivisors[diff] + (1 << (Shift - 1))) >> Shift;
            if (h < 0)
                h += 180;
            hsv[i] = (byte)h;
            hsv[i + 1] = (byte)s;
            hsv[i + 2] = (byte)v;
        }
        return hsv;
    }

    private static int[] Divisors(int numerator, int factor)
    {
        var table = new int[256];
        for (int i = 1; i < 256; i++)
            table[i] = (int)Math.Round(numerator / (factor * (double)i), MidpointRounding.ToEven);
        return table;
    }
}
