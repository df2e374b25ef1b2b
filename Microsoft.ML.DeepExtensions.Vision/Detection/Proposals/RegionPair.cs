namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>Two neighbouring regions of the hierarchy (indices into its region list) and their similarity.</summary>
internal struct RegionPair : IGnuSortable<RegionPair>
{
    public int From;
    public int To;
    public float Similarity;

    public static bool Less(in RegionPair a, in RegionPair b) => a.Similarity < b.Similarity;
}
