namespace Microsoft.ML.DeepExtensions.Vision.Haar.Training;

/// <summary>
/// Every pool feature's values over the samples of one stage, sorted once per stage, for the stump
/// search: for each feature the values in ascending order and the sample each came from. Features
/// past the memory budget are not kept; their column is computed and sorted again whenever it is
/// asked for (as <c>opencv_traincascade</c> does past its precalculation buffers): slower, same result.
/// With <see cref="SortedPositiveColumns"/> only the negatives are sorted, then merged with the positives.
/// </summary>
internal sealed class PresortedFeatures
{
    // Sorted value (float) and sample index (int) per sample and cached feature.
    private const int BytesPerEntry = sizeof(float) + sizeof(int);

    private readonly TrainingWindows _samples;
    private readonly CompiledCascade.Node[] _features;
    private readonly float[] _sortedValues;
    private readonly int[] _order;

    /// <param name="samples">The samples: the positives first, then the negatives.</param>
    /// <param name="positives">The positives' sorted columns (their count is where the negatives start), or null to sort everything.</param>
    /// <param name="features">The pool, compiled for the samples' integral layout.</param>
    /// <param name="cachedCount">How many features (the first ones) keep their sorted columns in memory.</param>
    /// <param name="parallel">How many threads compute the columns; the result does not depend on it.</param>
    /// <param name="cancellation">Checked between features.</param>
    /// <param name="reuse">The previous stage's columns, whose memory is reused when large enough (they become invalid).</param>
    public PresortedFeatures(TrainingWindows samples, SortedPositiveColumns? positives, CompiledCascade.Node[] features, int cachedCount,
        ParallelOptions parallel, CancellationToken cancellation, PresortedFeatures? reuse = null)
    {
        _samples = samples;
        _features = features;
        int n = samples.Count;
        CachedCount = Math.Min(features.Length, cachedCount);
        long size = (long)CachedCount * n;
        _sortedValues = reuse is not null && reuse._sortedValues.LongLength >= size ? reuse._sortedValues : new float[size];
        _order = reuse is not null && reuse._order.LongLength >= size ? reuse._order : new int[size];
        Parallel.For(0, CachedCount, parallel, f =>
        {
            cancellation.ThrowIfCancellationRequested();
            if (positives is not null && f < positives.FeatureCount)
                MergedColumn(f, positives, _sortedValues.AsSpan(f * n, n), _order.AsSpan(f * n, n));
            else
                SortedColumn(f, _sortedValues.AsSpan(f * n, n), _order.AsSpan(f * n, n));
        });
    }

    /// <summary>Features whose sorted columns fit <paramref name="cacheBytes"/> for these many samples and kept positives.</summary>
    public static int CacheCapacity(long cacheBytes, int samples, int positives, int featureCount)
    {
        long perFeature = Math.Max(1, ((long)samples + positives) * BytesPerEntry);
        return (int)Math.Min(featureCount, Math.Min(cacheBytes / perFeature, int.MaxValue / Math.Max(1, samples)));
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

    private void SortedColumn(int f, Span<float> values, Span<int> order)
    {
        _samples.FeatureColumn(in _features[f], values);
        var keys = Keys(values.Length);
        for (int i = 0; i < values.Length; i++)
            keys[i] = SortKeys.Pack(values[i], i);
        keys.Sort();
        Unpack(keys, values, order);
    }

    // The negatives (from the positives' count on) are sorted and merged with the positives' sorted keys.
    private void MergedColumn(int f, SortedPositiveColumns positives, Span<float> values, Span<int> order)
    {
        int p = positives.Count, n = values.Length;
        _samples.FeatureColumn(in _features[f], values, p);
        var keys = Keys(n);
        var negatives = keys.Slice(p);
        for (int i = p; i < n; i++)
            negatives[i - p] = SortKeys.Pack(values[i], i);
        negatives.Sort();
        var sortedPositives = positives.Column(f);
        int a = 0, b = 0;
        for (int k = 0; k < n; k++)
        {
            ulong key = b == negatives.Length || (a < p && sortedPositives[a] < negatives[b]) ? sortedPositives[a++] : negatives[b++];
            order[k] = SortKeys.Sample(key);
            values[k] = SortKeys.Value(key);
        }
    }

    private static void Unpack(ReadOnlySpan<ulong> keys, Span<float> values, Span<int> order)
    {
        for (int k = 0; k < keys.Length; k++)
        {
            order[k] = SortKeys.Sample(keys[k]);
            values[k] = SortKeys.Value(keys[k]);
        }
    }

    [ThreadStatic]
    private static ulong[]? _keys;

    private static Span<ulong> Keys(int length)
    {
        if (_keys is null || _keys.Length < length)
            _keys = new ulong[length];
        return _keys.AsSpan(0, length);
    }
}
