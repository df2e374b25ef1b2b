using System.Runtime.CompilerServices;
using System.Drawing;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// Selective search's hierarchical grouping (Uijlings et al., algorithm 1) as OpenCV runs it: start from the initial
/// regions and the similarities of all touching pairs; repeatedly merge the most similar pair (the last after
/// <c>std::sort</c> by similarity, so ties go as libstdc++ leaves them), drop every pair that involves either part
/// (keeping the others in order), and add the union's pairs with each former neighbour of its parts, until no pair
/// is left. Every region met on the way, initial or merged, is a proposal.
/// </summary>
internal static class HierarchicalGrouping
{
    /// <summary>The regions of one grouping run, initial regions first, then the unions in the order they formed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    public static List<GroupedRegion> Run(ByteImage image, RegionLabels labels, RegionFeatures features, RegionSimilarity similarity)
    {
        int count = features.Count;
        var sizes = (int[])features.Sizes.Clone();
        similarity.Start(image, labels, features, sizes);
        var regions = new List<GroupedRegion>(2 * count);
        for (int i = 0; i < count; i++)
            regions.Add(new GroupedRegion { Id = i, Level = 1, Box = features.BoundingBoxes[i] });
        var pairs = new RegionPair[Math.Max(features.NeighbourPairs.Length, 16)];
        int pairCount = 0;
        foreach (var (a, b) in features.NeighbourPairs)
            pairs[pairCount++] = new RegionPair { From = a, To = b, Similarity = similarity.Get(a, b) };

        var formerNeighbours = new List<int>();
        while (pairCount > 0)
        {
            GnuIntroSort.Sort(pairs.AsSpan(0, pairCount));
            var best = pairs[--pairCount];
            var from = regions[best.From];
            var to = regions[best.To];
            regions.Add(new GroupedRegion
            {
                Id = Math.Min(from.Id, to.Id),
                Level = Math.Max(from.Level, to.Level) + 1,
                Box = Rectangle.Union(from.Box, to.Box),
            });
            int union = regions.Count - 1;
            similarity.Merge(from.Id, to.Id);
            sizes[from.Id] += sizes[to.Id];
            sizes[to.Id] = sizes[from.Id];

            formerNeighbours.Clear();
            int kept = 0;
            for (int i = 0; i < pairCount; i++)
            {
                var pair = pairs[i];
                bool fromTouches = pair.From == best.From || pair.From == best.To;
                if (fromTouches || pair.To == best.From || pair.To == best.To)
                {
                    int other = fromTouches ? pair.To : pair.From;
                    if (!formerNeighbours.Contains(other))
                        formerNeighbours.Add(other);
                }
                else
                {
                    pairs[kept++] = pair;
                }
            }
            pairCount = kept;
            if (pairCount + formerNeighbours.Count > pairs.Length)
                Array.Resize(ref pairs, Math.Max(2 * pairs.Length, pairCount + formerNeighbours.Count));
            int unionId = regions[union].Id;
            foreach (int other in formerNeighbours)
                pairs[pairCount++] = new RegionPair { From = union, To = other, Similarity = similarity.Get(unionId, regions[other].Id) };
        }
        return regions;
    }
}
