namespace Microsoft.ML.DeepExtensions.Vision.Data.Detection;

/// <summary>
/// Decodes COCO's compressed run-length strings (the <c>counts</c> string of an RLE segmentation, as pycocotools'
/// <c>rleToString</c> writes it): each run is a signed variable-length integer in 5-bit groups, least significant
/// first, each group plus 48 stored as one character, bit 0x20 meaning "more groups follow" and bit 0x10 of the
/// last group the sign; from the third run on, the stored value is the difference to the run two places before.
/// </summary>
internal static class CocoRunLengths
{
    /// <exception cref="FormatException">A character outside the encoding's range, or a string that ends inside a run.</exception>
    public static long[] Decode(string counts)
    {
        var runs = new List<long>();
        int p = 0;
        while (p < counts.Length)
        {
            long value = 0;
            int shift = 0;
            bool more = true;
            while (more)
            {
                if (p >= counts.Length)
                    throw new FormatException("the counts string ends inside a run.");
                int c = counts[p] - 48;
                if (c < 0 || c > 63)
                    throw new FormatException($"character '{counts[p]}' at position {p} is not part of COCO's run-length encoding.");
                value |= (long)(c & 0x1f) << shift;
                more = (c & 0x20) != 0;
                p++;
                shift += 5;
                if (!more && (c & 0x10) != 0)
                    value |= -1L << shift;
            }
            if (runs.Count > 2)
                value += runs[^2];
            runs.Add(value);
        }
        return runs.ToArray();
    }
}
