namespace Microsoft.ML.DeepExtensions.Vision.Haar;

/// <summary>
/// A stage of the attentional cascade: a window passes when the sum of its trees' leaf values
/// reaches <see cref="Threshold"/>; a window that fails any stage is rejected at once.
/// </summary>
public sealed class HaarStage
{
    private readonly HaarTree[] _trees;

    /// <summary>Creates a stage.</summary>
    /// <param name="threshold">The stage threshold as written in the cascade file.</param>
    /// <param name="trees">The boosted weak classifiers.</param>
    public HaarStage(float threshold, IEnumerable<HaarTree> trees)
    {
        ArgumentNullException.ThrowIfNull(trees);
        if (!float.IsFinite(threshold))
            throw new ArgumentException($"Stage threshold must be finite, got {threshold}.", nameof(threshold));
        _trees = trees.ToArray();
        if (_trees.Length == 0)
            throw new ArgumentException("A stage needs at least one tree.", nameof(trees));
        Threshold = threshold;
    }

    /// <summary>The stage threshold as written in the cascade file.</summary>
    public float Threshold { get; }

    /// <summary>The boosted weak classifiers.</summary>
    public IReadOnlyList<HaarTree> Trees => _trees;
}
