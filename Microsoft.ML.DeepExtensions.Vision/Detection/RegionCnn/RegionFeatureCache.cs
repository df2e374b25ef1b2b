using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;

/// <summary>
/// The region features of the training images, computed once by the (fine-tuned) CNN and kept in memory for the SVM
/// and box regression stages (the paper caches them on disk: hundreds of gigabytes of pool5/fc7 features), with what
/// those stages need of each region: its box, its IoU with each class's objects, the class of the ground-truth box it is,
/// and the box it learns to move onto.
/// </summary>
/// <remarks>
/// Memory is bounded: when every region's features would take more than the bound, the regions that only the SVMs read
/// as negatives (below the negative IoU threshold for every class) are kept at random, each with the probability that
/// makes the expected total fit; ground-truth boxes and regions overlapping an object are always kept.
/// </remarks>
internal sealed class RegionFeatureCache : IDisposable
{
    internal RegionFeatureCache(Tensor features, Tensor boxes, Tensor overlaps, Tensor truthClasses, Tensor regressionTargets, Tensor regressionClasses, int droppedNegatives)
    {
        Features = features;
        Boxes = boxes;
        Overlaps = overlaps;
        TruthClasses = truthClasses;
        RegressionTargets = regressionTargets;
        RegressionClasses = regressionClasses;
        DroppedNegatives = droppedNegatives;
    }

    /// <summary><c>[R, D]</c> float: each region's features.</summary>
    public Tensor Features { get; }

    /// <summary><c>[R, 4]</c> float: each region's box (letterboxed pixels).</summary>
    public Tensor Boxes { get; }

    /// <summary><c>[R, C]</c> float: each region's largest IoU with an object of each class.</summary>
    public Tensor Overlaps { get; }

    /// <summary><c>[R]</c> int64: the class of a ground-truth region, -1 for a proposal.</summary>
    public Tensor TruthClasses { get; }

    /// <summary><c>[R, 4]</c> float: the ground-truth box a region learns to move onto (meaningful where <see cref="RegressionClasses"/> ≥ 0).</summary>
    public Tensor RegressionTargets { get; }

    /// <summary><c>[R]</c> int64: the class of the box a region learns to move onto, -1 for none.</summary>
    public Tensor RegressionClasses { get; }

    /// <summary>Regions left out to keep the cache within its bound.</summary>
    public int DroppedNegatives { get; }

    /// <summary>Regions cached.</summary>
    public long Count => Features.shape[0];

    /// <summary>Computes the features of every labelled region.</summary>
    /// <param name="images"><c>[N, 3, S, S]</c> byte RGB letterboxed training images (CPU).</param>
    /// <param name="regions">The images' labelled regions.</param>
    /// <param name="warp">The region warp.</param>
    /// <param name="network">The CNN, in evaluation mode.</param>
    /// <param name="device">Where the CNN runs.</param>
    /// <param name="classCount">Object classes C.</param>
    /// <param name="negativeIou">The SVMs' negative threshold (regions below it for every class may be dropped).</param>
    /// <param name="boundBytes">The most bytes the features may take.</param>
    /// <param name="seed">Seeds the choice of dropped regions.</param>
    /// <param name="progress">Told the number of images done after each image.</param>
    /// <param name="cancellation">Checked between images.</param>
    public static RegionFeatureCache Build(Tensor images, IReadOnlyList<LabelledRegions> regions, RegionWarp warp, RegionFeatureNetwork network,
        Device device, int classCount, float negativeIou, long boundBytes, int seed, Action<int> progress, CancellationToken cancellation)
    {
        long bytesPerRegion = 4L * network.FeatureSize;
        long total = regions.Sum(r => (long)r.Count);
        var optional = regions.Select(r => Enumerable.Range(0, r.Count).Count(i => IsOnlyNegative(r, i, classCount, negativeIou))).ToArray();
        long optionalTotal = optional.Sum(o => (long)o);
        long mandatory = total - optionalTotal;
        if (mandatory * bytesPerRegion > boundBytes)
            throw new InvalidOperationException(
                $"The features of the {mandatory:N0} ground-truth and object-overlapping regions alone need {mandatory * bytesPerRegion / (1024 * 1024):N0} MB, above FeatureCacheMegabytes ({boundBytes / (1024 * 1024):N0} MB). Raise FeatureCacheMegabytes or lower MaxProposals.");
        double keep = optionalTotal == 0 ? 1 : Math.Min(1, (double)(boundBytes / bytesPerRegion - mandatory) / optionalTotal);
        var random = new Random(seed);

        var features = new List<Tensor>();
        var boxes = new List<float>();
        var overlaps = new List<float>();
        var truthClasses = new List<long>();
        var targets = new List<float>();
        var targetClasses = new List<long>();
        int dropped = 0;
        try
        {
            for (int n = 0; n < regions.Count; n++)
            {
                cancellation.ThrowIfCancellationRequested();
                var image = regions[n];
                var kept = new List<int>(image.Count);
                for (int i = 0; i < image.Count; i++)
                {
                    if (keep < 1 && IsOnlyNegative(image, i, classCount, negativeIou) && random.NextDouble() >= keep)
                    {
                        dropped++;
                        continue;
                    }
                    kept.Add(i);
                    boxes.AddRange(image.Boxes.AsSpan(4 * i, 4).ToArray());
                    overlaps.AddRange(image.ClassOverlaps.AsSpan(i * classCount, classCount).ToArray());
                    truthClasses.Add(i < image.GroundTruthCount ? image.GroundTruthClasses[i] : -1);
                    int target = image.RegressionTargets[i];
                    targetClasses.Add(target < 0 ? -1 : image.GroundTruthClasses[target]);
                    targets.AddRange(target < 0 ? new float[4] : image.Boxes.AsSpan(4 * target, 4).ToArray());
                }
                features.Add(Extract(images, image, kept, warp, network, device));
                progress(n + 1);
            }
            long count = truthClasses.Count;
            using var scope = torch.NewDisposeScope();
            var all = (features.Count == 0 ? torch.zeros(0, network.FeatureSize) : torch.cat(features, 0)).MoveToOuterDisposeScope();
            return new RegionFeatureCache(all,
                torch.tensor(boxes.ToArray(), new long[] { count, 4 }).MoveToOuterDisposeScope(),
                torch.tensor(overlaps.ToArray(), new long[] { count, classCount }).MoveToOuterDisposeScope(),
                torch.tensor(truthClasses.ToArray()).MoveToOuterDisposeScope(),
                torch.tensor(targets.ToArray(), new long[] { count, 4 }).MoveToOuterDisposeScope(),
                torch.tensor(targetClasses.ToArray()).MoveToOuterDisposeScope(),
                dropped);
        }
        finally
        {
            foreach (var tensor in features)
                tensor.Dispose();
        }
    }

    /// <summary>Whether the SVMs read region <paramref name="i"/> only as a negative (no box regression, no positive, below the threshold for every class).</summary>
    private static bool IsOnlyNegative(LabelledRegions image, int i, int classCount, float negativeIou)
    {
        if (i < image.GroundTruthCount || image.RegressionTargets[i] >= 0)
            return false;
        for (int c = 0; c < classCount; c++)
        {
            if (image.ClassOverlaps[i * classCount + c] >= negativeIou)
                return false;
        }
        return true;
    }

    /// <summary>Features of an image's kept regions on the CPU, outside any dispose scope.</summary>
    private static Tensor Extract(Tensor images, LabelledRegions image, List<int> kept, RegionWarp warp, RegionFeatureNetwork network, Device device)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var boxes = new float[4 * kept.Count];
        for (int j = 0; j < kept.Count; j++)
            Array.Copy(image.Boxes, 4 * kept[j], boxes, 4 * j, 4);
        var pixels = images[image.ImageIndex].unsqueeze(0).to(device).to_type(ScalarType.Float32).div_(255f);
        var warped = warp.Apply(pixels, torch.zeros(kept.Count, ScalarType.Int64, device), torch.tensor(boxes, new long[] { kept.Count, 4 }, device: device));
        return network.Features(warped).cpu().DetachFromDisposeScope();
    }

    public void Dispose()
    {
        Features.Dispose();
        Boxes.Dispose();
        Overlaps.Dispose();
        TruthClasses.Dispose();
        RegressionTargets.Dispose();
        RegressionClasses.Dispose();
    }
}
