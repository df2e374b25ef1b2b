namespace Microsoft.ML.DeepExtensions.Vision.Haar.Training;

/// <summary>
/// A feature value and its sample packed into one 64-bit key: an order-preserving bit pattern of the
/// value above the sample index. Sorting such keys sorts plain integers, much faster than sorting values
/// with an index array alongside, and orders equal values by sample, so any sort (or merge) of the same
/// keys gives the same order.
/// </summary>
internal static class SortKeys
{
    public static ulong Pack(float value, int sample) => ((ulong)SortableBits(value) << 32) | (uint)sample;

    public static int Sample(ulong key) => (int)(uint)key;

    public static float Value(ulong key)
    {
        uint bits = (uint)(key >> 32);
        return BitConverter.UInt32BitsToSingle((bits & 0x8000_0000u) != 0 ? bits & 0x7FFF_FFFFu : ~bits);
    }

    /// <summary>The same key for another sample index (the value's order is kept).</summary>
    public static ulong WithSample(ulong key, int sample) => (key & 0xFFFF_FFFF_0000_0000ul) | (uint)sample;

    // IEEE floats order as sign-magnitude integers: flip every bit of a negative, only the sign of a positive
    // (-0 is read as +0, its equal).
    private static uint SortableBits(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value == 0 ? 0f : value);
        return (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
    }
}
