using System.Drawing;
using Microsoft.ML.Data;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// Selective search region proposals (Uijlings, van de Sande, Gevers and Smeulders, "Selective Search for Object
/// Recognition", IJCV 104(2), 2013), computed as OpenCV's <c>cv::ximgproc::segmentation::SelectiveSearchSegmentation</c>
/// computes them: each colour-space image of the <see cref="SelectiveSearchMode"/> is segmented by
/// <see cref="GraphSegmentation"/> at each threshold k (sigma 0.8, minimum size 100), each segmentation is grouped
/// hierarchically by each similarity combination (<see cref="HierarchicalGrouping"/>), every region of every hierarchy
/// gets the rank <c>random·level</c> (random uniform in [0, 1], so regions of low levels, small ones, tend to come first
/// while the strategies interleave), and the bounding boxes are listed by rank without repeats.
/// </summary>
/// <remarks>
/// Everything before the ranking is OpenCV's computation to the bit (segmentations, histograms, similarities and merge
/// order, ties included); the ranking draws its numbers from glibc's <c>rand()</c> generator started at
/// <see cref="SelectiveSearchOptions.Seed"/> for every image. The image is used at its own size (OpenCV's library does
/// not resize; its samples shrink photos to a height of 200 first, which is much faster).
/// </remarks>
public sealed class SelectiveSearch
{
    private const int MinRegionSize = 100;
    private readonly SelectiveSearchOptions _options;
    private readonly SelectiveSearchPlan _plan;

    /// <param name="options">The settings; null for the defaults (fast mode, at most 2,000 proposals).</param>
    public SelectiveSearch(SelectiveSearchOptions? options = null)
    {
        _options = (options ?? new SelectiveSearchOptions()).CopyTo(new SelectiveSearchOptions());
        _options.Validate();
        _plan = SelectiveSearchPlan.For(_options.Mode, _options.BaseK ?? (_options.Mode == SelectiveSearchMode.Single ? 200 : 150), _options.IncrementK);
    }

    /// <summary>A copy of the settings.</summary>
    public SelectiveSearchOptions Options => _options.CopyTo(new SelectiveSearchOptions());

    /// <summary>Proposals for an image (its blue, green and red channels; alpha is ignored), best ranked first.</summary>
    /// <returns>Boxes as x, y, width, height in pixels (OpenCV's <c>Rect</c>): a box covers columns x .. x + width − 1.</returns>
    public Rectangle[] Propose(MLImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Propose(ProposalImage.ToBgr(image, nameof(image)), image.Width, image.Height);
    }

    /// <summary>Proposals for interleaved 8-bit blue, green, red pixels (rows without padding), best ranked first.</summary>
    public Rectangle[] Propose(ReadOnlySpan<byte> bgr, int width, int height)
    {
        ProposalImage.CheckPixels(bgr.Length, width, height, 3, nameof(bgr));
        var pixels = bgr.ToArray();
        var images = _plan.Images(pixels, width, height);
        var hierarchies = new List<GroupedRegion>[images.Count * _plan.Ks.Length][];
        // Each colour-space image is smoothed, its graph sorted and its gradients computed once, then segmented at
        // every k (OpenCV redoes all of it per k; the results are the same).
        Parallel.For(0, images.Count, new ParallelOptions { MaxDegreeOfParallelism = _options.MaxDegreeOfParallelism }, i =>
        {
            var image = images[i];
            var graph = new PixelGraph(image.Pixels, image.Width, image.Height, image.Channels, _options.Sigma);
            var gradients = new Lazy<byte[][][]>(() => TextureGradients.Compute(image), LazyThreadSafetyMode.None);
            for (int j = 0; j < _plan.Ks.Length; j++)
            {
                var labels = new GraphSegmentation(_options.Sigma, _plan.Ks[j], MinRegionSize).Segment(graph);
                var features = new RegionFeatures(image, labels, gradients);
                var strategies = _plan.Strategies();
                var job = hierarchies[i * _plan.Ks.Length + j] = new List<GroupedRegion>[strategies.Length];
                for (int s = 0; s < strategies.Length; s++)
                    job[s] = HierarchicalGrouping.Run(image, labels, features, strategies[s]);
            }
        });
        return Rank(hierarchies);
    }

    /// <summary>Ranks every region in OpenCV's order of <c>rand()</c> calls, sorts and drops repeated boxes.</summary>
    private Rectangle[] Rank(List<GroupedRegion>[][] hierarchies)
    {
        var random = new GlibcRandom(_options.Seed);
        var all = new List<GroupedRegion>();
        foreach (var job in hierarchies)
        {
            foreach (var regions in job)
            {
                foreach (var region in regions)
                {
                    var ranked = region;
                    ranked.Rank = (double)random.Next() / GlibcRandom.Max * region.Level;
                    all.Add(ranked);
                }
            }
        }
        var sorted = all.ToArray();
        GnuIntroSort.Sort(sorted.AsSpan());
        int limit = _options.MaxProposals == 0 ? int.MaxValue : _options.MaxProposals;
        var seen = new HashSet<Rectangle>();
        var proposals = new List<Rectangle>();
        foreach (var region in sorted)
        {
            if (proposals.Count >= limit)
                break;
            if (seen.Add(region.Box))
                proposals.Add(region.Box);
        }
        return proposals.ToArray();
    }
}
