namespace Microsoft.ML.DeepExtensions.Vision.Haar;

/// <summary>
/// A split of a boosted decision tree: the feature's value (normalised by the window's standard
/// deviation) below <see cref="Threshold"/> goes <see cref="Left"/>, otherwise <see cref="Right"/>.
/// Children use OpenCV's encoding: a positive number is the index of another node of the same
/// tree, zero or a negative number <c>-k</c> is the tree's leaf <c>k</c>.
/// </summary>
/// <param name="FeatureIndex">Index into <see cref="HaarCascade.Features"/>.</param>
/// <param name="Threshold">Split threshold on the normalised feature value.</param>
/// <param name="Left">Child taken when the value is below the threshold.</param>
/// <param name="Right">Child taken otherwise.</param>
public readonly record struct HaarTreeNode(int FeatureIndex, float Threshold, int Left, int Right)
{
    /// <summary>Whether a child reference names a leaf (zero or negative) rather than a node.</summary>
    public static bool IsLeaf(int child) => child <= 0;

    /// <summary>The leaf index a leaf reference names.</summary>
    public static int LeafIndex(int child) => -child;
}
