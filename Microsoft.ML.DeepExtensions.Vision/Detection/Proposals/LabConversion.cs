using System.Runtime.CompilerServices;
namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// 8-bit BGR to CIE L*a*b* as OpenCV's <c>cvtColor(..., COLOR_BGR2Lab)</c> computes it for 8-bit images (sRGB gamma,
/// D65 white; L scaled to 0 .. 255, a and b offset by 128): the sRGB gamma from a 256-entry table in 3 extra bits,
/// XYZ with 12-bit fixed-point coefficients divided by the white point, f(t) = t^(1/3) (or 7.787·t + 16/116 below
/// 0.008856) from a 3,072-entry table in 15 bits, then L = (116·f(Y) − 16)·255/100, a = 500·(f(X) − f(Y)) + 128,
/// b = 200·(f(Y) − f(Z)) + 128 rounded in fixed point.
/// </summary>
internal static class LabConversion
{
    private const int XyzShift = 12;
    private const int GammaShift = 3;
    private const int LabShift = XyzShift + GammaShift;
    private const int CubeRootTableSize = 256 * 3 / 2 * (1 << GammaShift);

    private static readonly ushort[] Gamma = BuildGammaTable();
    private static readonly ushort[] CubeRoot = BuildCubeRootTable();
    private static readonly int[] Coefficients = BuildCoefficients();

    /// <summary>Interleaved L, a, b bytes of interleaved B, G, R bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    public static byte[] FromBgr(ReadOnlySpan<byte> bgr)
    {
        const int lScale = (116 * 255 + 50) / 100;
        const int lShift = -((16 * 255 * (1 << LabShift) + 50) / 100);
        var c = Coefficients;
        var lab = new byte[bgr.Length];
        for (int i = 0; i < bgr.Length; i += 3)
        {
            int r = Gamma[bgr[i + 2]], g = Gamma[bgr[i + 1]], b = Gamma[bgr[i]];
            int fx = CubeRoot[Descale(r * c[0] + g * c[1] + b * c[2], XyzShift)];
            int fy = CubeRoot[Descale(r * c[3] + g * c[4] + b * c[5], XyzShift)];
            int fz = CubeRoot[Descale(r * c[6] + g * c[7] + b * c[8], XyzShift)];
            lab[i] = SaturateByte(Descale(lScale * fy + lShift, LabShift));
            lab[i + 1] = SaturateByte(Descale(500 * (fx - fy) + 128 * (1 << LabShift), LabShift));
            lab[i + 2] = SaturateByte(Descale(200 * (fy - fz) + 128 * (1 << LabShift), LabShift));
        }
        return lab;
    }

    private static int Descale(int x, int n) => (x + (1 << (n - 1))) >> n;

    private static byte SaturateByte(int v) => (byte)Math.Clamp(v, 0, 255);

    private static ushort[] BuildGammaTable()
    {
        var table = new ushort[256];
        for (int i = 0; i < 256; i++)
        {
            float x = i / 255f;
            float linear = x <= 0.04045f ? x / 12.92f : (float)Math.Pow((x + 0.055f) / 1.055f, 2.4);
            table[i] = (ushort)Math.Round(255f * (1 << GammaShift) * linear, MidpointRounding.ToEven);
        }
        return table;
    }

    private static ushort[] BuildCubeRootTable()
    {
        var table = new ushort[CubeRootTableSize];
        float scale = 1f / (255f * (1 << GammaShift));
        for (int i = 0; i < table.Length; i++)
        {
            float x = scale * i;
            float f = x < 216f / 24389f ? MathF.FusedMultiplyAdd(x, 841f / 108f, 16f / 116f) : CubeRootTowardZero(x);
            table[i] = (ushort)Math.Round((float)(1 << LabShift) * f, MidpointRounding.ToEven);
        }
        return table;
    }

    /// <summary>
    /// The float cube root rounded toward zero: OpenCV builds this table with its soft-float <c>cbrt</c>, which
    /// truncates; with the nearest float, entries 324 and 2079 land on .5 after scaling and round up instead of down.
    /// </summary>
    private static float CubeRootTowardZero(float x)
    {
        double exact = Math.Cbrt(x);
        float f = (float)exact;
        return f > exact ? MathF.BitDecrement(f) : f;
    }

    /// <summary>sRGB → XYZ (D65) rows divided by the white point, in 12-bit fixed point, columns in R, G, B order.</summary>
    private static int[] BuildCoefficients()
    {
        double[] srgbToXyz = { 0.412453, 0.357580, 0.180423, 0.212671, 0.715160, 0.072169, 0.019334, 0.119193, 0.950227 };
        double[] white = { 0.950456, 1.0, 1.088754 };
        var c = new int[9];
        for (int i = 0; i < 9; i++)
            c[i] = (int)Math.Round((1 << XyzShift) * srgbToXyz[i] / white[i / 3], MidpointRounding.ToEven);
        return c;
    }
}
