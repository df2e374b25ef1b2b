namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// A weighted mean of similarities, <c>Σ w_i·s_i / Σ w_i</c> (Uijlings et al.'s combinations such as C+T+S+F), with
/// OpenCV's equal weights: 0.5 for two, 0.3333 for three, 0.25 for four, summed and divided in floats.
/// </summary>
internal sealed class CombinedSimilarity : RegionSimilarity
{
    private readonly RegionSimilarity[] _parts;
    private readonly float _weight;
    private readonly float _totalWeight;

    public CombinedSimilarity(params RegionSimilarity[] parts)
    {
        _parts = parts;
        _weight = parts.Length switch
        {
            1 => 1.0f,
            2 => 0.5f,
            3 => 0.3333f,
            4 => 0.25f,
            _ => throw new ArgumentOutOfRangeException(nameof(parts), $"A combination has 1 to 4 similarities, got {parts.Length}."),
        };
        for (int i = 0; i < parts.Length; i++)
            _totalWeight += _weight;
    }

    public override void Start(ByteImage image, RegionLabels regions, RegionFeatures features, int[] sizes)
    {
        foreach (var part in _parts)
            part.Start(image, regions, features, sizes);
    }

    public override float Get(int a, int b)
    {
        float total = 0;
        foreach (var part in _parts)
            total += _weight * part.Get(a, b);
        return total / _totalWeight;
    }

    public override void Merge(int a, int b)
    {
        foreach (var part in _parts)
            part.Merge(a, b);
    }
}
