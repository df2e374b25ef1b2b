namespace Microsoft.ML.DeepExtensions.Vision.Haar.Training;

/// <summary>
/// Every pool feature's values over the samples of one stage, sorted once per stage, for the stump
/// search: for each feature the values in ascending order and the sample each came from. Features
/// past the memory budget are not kept; their column is computed and sorted again whenever it is
/// asked for (as <c>opencv_traincascade</c> does past its precalculation buffers): slower, same result.
/// </summary>
internal sealed class PresortedFeatures
{
    // Sorted value (float) and sample index (int) per sample and cached feature.
    private const int BytesPerEntry = sizeof(float) + sizeof(int);

    private readonly TrainingWindows _samples;
    private readonly CompiledCascade.Node[] _features;
    private readonly float[] _sortedValues;
    private readonly int[] _order;

    /// <param name="samples">The samples (positives and negatives).</param>
    /// <param name="features">The pool, compiled for the samples' integral layout.</param>
    /// <param name="cacheBytes">The most memory the sorted columns may take.</param>
    /// <param name="parallel">How many threads compute the columns; the result does not depend on it.</param>
    /// <param name="cancellation">Checked between features.</param>
    public PresortedFeatures(TrainingWindows samples, CompiledCascade.Node[] features, long cacheBytes, ParallelOptions parallel, CancellationToken cancellation)
    {
        _samples = samples;
        _features = features;
        int n = samples.Count;
        long perFeature = (long)n * BytesPerEntry;
        CachedCount = (int)Math.Min(features.Length, Math.Min(cacheBytes / Math.Max(1, perFeature), int.MaxValue / Math.Max(1, n)));
        _sortedValues = new float[(long)CachedCount * n];
        _order = new int[(long)CachedCount * n];
        Parallel.For(0, CachedCount, parallel, f =>
        {
            cancellation.ThrowIfCancellationRequested();
            SortedColumn(f, _sortedValues.AsSpan(f * n, n), _order.AsSpan(f * n, n));
        });
    }

    /// <summary>Samples per column.</summary>
    public int SampleCount => _samples.Count;

    /// <summary>Features in the pool.</summary>
    public int FeatureCount => _features.Length;

    /// <summary>Features whose sorted columns are kept in memory.</summary>
    public int CachedCount { get; }

    /// <summary>
    /// The sorted values and sample order of feature <paramref name="f"/>: views of the cache, or the
    /// given buffers (each <see cref="SampleCount"/> long) filled for a feature past the cache.
    /// </summary>
    public (ReadOnlyMemory<float> Values, ReadOnlyMemory<int> Order) Column(int f, float[] valuesBuffer, int[] orderBuffer)
    {
        int n = _samples.Count;
        if (f < CachedCount)
            return (_sortedValues.AsMemory(f * n, n), _order.AsMemory(f * n, n));
        SortedColumn(f, valuesBuffer.AsSpan(0, n), orderBuffer.AsSpan(0, n));
        return (valuesBuffer.AsMemory(0, n), orderBuffer.AsMemory(0, n));
    }

    /// <summary>The (unsorted) value of feature <paramref name="f"/> on every sample.</summary>
    public void Values(int f, Span<float> values) => _samples.FeatureColumn(in _features[f], values);

    // Sorting (value, sample) pairs packed into one 64-bit key (an order-preserving bit pattern of the
    // value above the sample index) sorts plain integers, much faster than sorting values with an index
    // array alongside, and orders equal values by sample, so the order does not depend on the algorithm.
    private void SortedColumn(int f, Span<float> values, Span<int> order)
    {
        _samples.FeatureColumn(in _features[f], values);
        if (_keys is null || _keys.Length < values.Length)
            _keys = new ulong[values.Length];
        var keys = _keys;
        for (int i = 0; i < values.Length; i++)
            keys[i] = ((ulong)SortableBits(values[i]) << 32) | (uint)i;
        keys.AsSpan(0, values.Length).Sort();
        for (int k = 0; k < values.Length; k++)
        {
            int i = (int)(uint)keys[k];
            order[k] = i;
            values[k] = FromSortableBits((uint)(keys[k] >> 32));
        }
    }

    [ThreadStatic]
    private static ulong[]? _keys;

    // IEEE floats order as sign-magnitude integers: flip every bit of a negative, only the sign of a positive.
    private static uint SortableBits(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value == 0 ? 0f : value);
        return (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
    }

    private static float FromSortableBits(uint key) =>
        BitConverter.UInt32BitsToSingle((key & 0x8000_0000u) != 0 ? key & 0x7FFF_FFFFu : ~key);
}
