namespace Microsoft.ML.DeepExtensions.Vision.Haar.Training;

/// <summary>
/// The positives' feature values, sorted once for the whole training: a stage's positives are those
/// of the previous stage less the ones it rejected, so each stage only sorts its fresh negatives and
/// merges them in (<see cref="PresortedFeatures"/>), which gives exactly the order a full sort gives.
/// Kept for the first <see cref="FeatureCount"/> features of the pool (the ones whose stage columns are cached too).
/// </summary>
internal sealed class SortedPositiveColumns
{
    private readonly ulong[] _keys;
    private readonly int _capacity;

    public SortedPositiveColumns(TrainingWindows positives, CompiledCascade.Node[] features, int featureCount, ParallelOptions parallel, CancellationToken cancellation)
    {
        _capacity = positives.Count;
        Count = positives.Count;
        FeatureCount = featureCount;
        _keys = new ulong[(long)featureCount * _capacity];
        Parallel.For(0, featureCount, parallel, () => new float[_capacity], (f, _, values) =>
        {
            cancellation.ThrowIfCancellationRequested();
            positives.FeatureColumn(in features[f], values);
            var keys = _keys.AsSpan(f * _capacity, Count);
            for (int i = 0; i < keys.Length; i++)
                keys[i] = SortKeys.Pack(values[i], i);
            keys.Sort();
            return values;
        }, _ => { });
    }

    /// <summary>Positives per column.</summary>
    public int Count { get; private set; }

    /// <summary>Features whose columns are kept.</summary>
    public int FeatureCount { get; }

    /// <summary>The sorted keys of feature <paramref name="f"/>; samples are positive indices.</summary>
    public ReadOnlySpan<ulong> Column(int f) => _keys.AsSpan(f * _capacity, Count);

    /// <summary>Drops the positives whose flag is not set and renumbers the rest, as <see cref="TrainingWindows.Retain"/> does.</summary>
    public void Retain(bool[] keep, ParallelOptions parallel)
    {
        var renumbered = new int[Count];
        int kept = 0;
        for (int i = 0; i < Count; i++)
            renumbered[i] = keep[i] ? kept++ : -1;
        int count = Count;
        Parallel.For(0, FeatureCount, parallel, f =>
        {
            var keys = _keys.AsSpan(f * _capacity, count);
            int k = 0;
            foreach (ulong key in keys)
            {
                int sample = renumbered[SortKeys.Sample(key)];
                if (sample >= 0)
                    keys[k++] = SortKeys.WithSample(key, sample);
            }
        });
        Count = kept;
    }
}
