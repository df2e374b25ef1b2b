namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.TwoStage;

/// <summary>
/// The counter-based generator of generate_faster_rcnn_golden.py, bit for bit: value i of a seed is SplitMix64 of
/// <c>(seed &lt;&lt; 32) + i</c>, its top 24 bits as <c>u</c> in [0, 1), then <c>(float)(low + (high − low)·u)</c> in double.
/// Weights and images are reproduced instead of stored, which keeps the golden file small.
/// </summary>
internal static class SeededValues
{
    public static float[] Uniform(long seed, long count, double low, double high)
    {
        var values = new float[count];
        for (long i = 0; i < count; i++)
        {
            ulong z = unchecked(((ulong)seed << 32) + (ulong)i + 0x9E3779B97F4A7C15UL);
            z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
            z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
            z ^= z >> 31;
            double u = (z >> 40) / 16777216.0;
            values[i] = (float)(low + (high - low) * u);
        }
        return values;
    }
}
