using System.Runtime.CompilerServices;
namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// Histogram intersection, <c>s(a, b) = Σ_k min(h_a[k], h_b[k])</c>, of normalised histograms; a merge gives the union
/// the size-weighted mean <c>(h_a·|a| + h_b·|b|)/(|a| + |b|)</c>. With colour histograms (25 bins per channel) this is
/// Uijlings et al.'s s_colour, with the oriented-gradient histograms (10 bins per channel and orientation) their
/// s_texture.
/// </summary>
internal sealed class HistogramSimilarity : RegionSimilarity
{
    private readonly bool _texture;
    private float[] _histograms = Array.Empty<float>();
    private int[] _sizes = Array.Empty<int>();
    private int _length;

    private HistogramSimilarity(bool texture) => _texture = texture;

    /// <summary>Colour similarity.</summary>
    public static HistogramSimilarity Color() => new(texture: false);

    /// <summary>Texture similarity.</summary>
    public static HistogramSimilarity Texture() => new(texture: true);

    public override void Start(ByteImage image, RegionLabels regions, RegionFeatures features, int[] sizes)
    {
        var histograms = _texture ? features.TextureHistograms : features.ColorHistograms;
        _histograms = (float[])histograms.Clone();
        _length = histograms.Length / features.Count;
        _sizes = sizes;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    public override float Get(int a, int b)
    {
        var h = _histograms.AsSpan();
        var ha = h.Slice(a * _length, _length);
        var hb = h.Slice(b * _length, _length);
        float sum = 0;
        for (int i = 0; i < ha.Length; i++)
            sum += MathF.Min(ha[i], hb[i]);
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    public override void Merge(int a, int b)
    {
        int sizeA = _sizes[a], sizeB = _sizes[b];
        var h = _histograms.AsSpan();
        var ha = h.Slice(a * _length, _length);
        var hb = h.Slice(b * _length, _length);
        for (int i = 0; i < ha.Length; i++)
        {
            ha[i] = (ha[i] * sizeA + hb[i] * sizeB) / (sizeA + sizeB);
            hb[i] = ha[i];
        }
    }
}
