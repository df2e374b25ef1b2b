using System.Drawing;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// A region of the selective search hierarchy: its bounding box, its level (1 for an initial region, one more than
/// the higher of its two parts for a union) and the rank that orders the final proposals (smaller first).
/// </summary>
internal struct GroupedRegion : IGnuSortable<GroupedRegion>
{
    public Rectangle Box;
    public int Id;
    public int Level;
    public double Rank;

    public static bool Less(in GroupedRegion a, in GroupedRegion b) => a.Rank < b.Rank;
}
