namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>Settings of <see cref="SelectiveSearch"/>; the defaults are OpenCV's.</summary>
public class SelectiveSearchOptions
{
    /// <summary>Which colour spaces, thresholds and similarities run. Defaults to <see cref="SelectiveSearchMode.Fast"/> (what R-CNN used).</summary>
    public SelectiveSearchMode Mode { get; set; } = SelectiveSearchMode.Fast;

    /// <summary>
    /// The smallest graph segmentation threshold k (larger k, larger initial regions); positive. Defaults to null:
    /// OpenCV's 150 for <see cref="SelectiveSearchMode.Fast"/> and <see cref="SelectiveSearchMode.Quality"/>, 200 for
    /// <see cref="SelectiveSearchMode.Single"/>.
    /// </summary>
    public int? BaseK { get; set; }

    /// <summary>The step between the thresholds k of <see cref="SelectiveSearchMode.Fast"/> (3 values) and <see cref="SelectiveSearchMode.Quality"/> (5 values); zero or more. Defaults to 150.</summary>
    public int IncrementK { get; set; } = 150;

    /// <summary>The Gaussian smoothing of the graph segmentation; positive. Defaults to 0.8.</summary>
    public float Sigma { get; set; } = 0.8f;

    /// <summary>
    /// Proposals kept per image, best ranked first (0: all of them; the fast mode gives about 1,000–5,000 on a
    /// 500x375 photo). Defaults to 2000, the number R-CNN uses.
    /// </summary>
    public int MaxProposals { get; set; } = 2000;

    /// <summary>
    /// Seed of the ranking's random numbers (glibc's <c>rand()</c> generator, started again for every image, so results
    /// do not depend on the order images come in). With 1, an image's proposals equal OpenCV's in a fresh process or
    /// after <c>srand(1)</c>. Defaults to 1.
    /// </summary>
    public uint Seed { get; set; } = 1;

    /// <summary>Threads working on one image (its groupings run in parallel; the result does not depend on it); -1 for the thread pool. Defaults to -1.</summary>
    public int MaxDegreeOfParallelism { get; set; } = -1;

    /// <summary>Throws naming the first option out of range.</summary>
    internal void Validate()
    {
        if (!Enum.IsDefined(Mode))
            throw new ArgumentOutOfRangeException(nameof(Mode), $"Mode must be Single, Fast or Quality, got {(int)Mode}.");
        if (BaseK is <= 0)
            throw new ArgumentOutOfRangeException(nameof(BaseK), $"BaseK must be positive, got {BaseK}.");
        if (IncrementK < 0)
            throw new ArgumentOutOfRangeException(nameof(IncrementK), $"IncrementK must be zero or more, got {IncrementK}.");
        if (!(Sigma > 0) || float.IsInfinity(Sigma))
            throw new ArgumentOutOfRangeException(nameof(Sigma), $"Sigma must be a positive number, got {Sigma}.");
        if (MaxProposals < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxProposals), $"MaxProposals must be zero (all) or positive, got {MaxProposals}.");
        if (MaxDegreeOfParallelism == 0 || MaxDegreeOfParallelism < -1)
            throw new ArgumentOutOfRangeException(nameof(MaxDegreeOfParallelism), $"MaxDegreeOfParallelism must be -1 or positive, got {MaxDegreeOfParallelism}.");
    }

    /// <summary>A copy (so that a transformer is not changed through the options it was made from).</summary>
    internal SelectiveSearchOptions CopyTo(SelectiveSearchOptions target)
    {
        target.Mode = Mode;
        target.BaseK = BaseK;
        target.IncrementK = IncrementK;
        target.Sigma = Sigma;
        target.MaxProposals = MaxProposals;
        target.Seed = Seed;
        target.MaxDegreeOfParallelism = MaxDegreeOfParallelism;
        return target;
    }
}
