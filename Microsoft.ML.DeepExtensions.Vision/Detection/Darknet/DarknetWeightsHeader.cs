namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// The header of a Darknet <c>.weights</c> file: a version (three int32) and the number of images the network has
/// seen in training, stored as int64 when <c>major·10 + minor ≥ 2</c> (and both are below 1000), else as int32.
/// </summary>
/// <param name="Major">Major version; Darknet writes 0.</param>
/// <param name="Minor">Minor version; Darknet writes 2.</param>
/// <param name="Revision">Revision; Darknet writes 0.</param>
/// <param name="Seen">Training images seen.</param>
public sealed record DarknetWeightsHeader(int Major, int Minor, int Revision, long Seen)
{
    /// <summary>The version Darknet's <c>save_weights</c> writes (0.2.0), with <paramref name="seen"/> images seen.</summary>
    public static DarknetWeightsHeader Current(long seen = 0) => new(0, 2, 0, seen);

    /// <summary>Whether <see cref="Seen"/> is stored as int64 (else int32).</summary>
    public bool HasLongSeen => Major * 10 + Minor >= 2 && Major < 1000 && Minor < 1000;

    /// <summary>Whether <c>[connected]</c> weights are stored transposed ([inputs, outputs]); Darknet's rule: a version part above 1000.</summary>
    public bool TransposedConnected => Major > 1000 || Minor > 1000;

    /// <summary>Size of the header in bytes: 20 or 16.</summary>
    public int Size => HasLongSeen ? 20 : 16;
}
