namespace Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;

/// <summary>
/// Anchor shapes from the training boxes: k-means over box widths and heights with the distance
/// <c>d(box, centroid) = 1 - IoU(box, centroid)</c> of shapes placed at the same centre, so that large and small
/// boxes weigh alike (Redmon and Farhadi, 2017, "YOLO9000: Better, Faster, Stronger", section "Dimension Clusters").
/// </summary>
public static class AnchorClustering
{
    /// <summary>Clusters box shapes into <paramref name="count"/> anchors.</summary>
    /// <param name="sizes">Width and height of each training box, positive.</param>
    /// <param name="count">Anchors wanted, e.g. 9 for YOLOv3, 6 for YOLOv3-tiny.</param>
    /// <param name="seed">Seeds the k-means++ start; the same seed and boxes give the same anchors.</param>
    /// <param name="iterations">The most Lloyd iterations. Defaults to 100; it usually stops sooner, when no box changes cluster.</param>
    /// <returns>The anchors' centroids (mean width and height of their boxes), by increasing area.</returns>
    public static (float Width, float Height)[] KMeans(IReadOnlyList<(float Width, float Height)> sizes, int count, int seed, int iterations = 100)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (count <= 0)
            throw new ArgumentOutOfRangeException(nameof(count), $"The anchor count must be positive, got {count}.");
        if (iterations <= 0)
            throw new ArgumentOutOfRangeException(nameof(iterations), $"Iterations must be positive, got {iterations}.");
        for (int i = 0; i < sizes.Count; i++)
        {
            if (!(sizes[i].Width > 0 && sizes[i].Height > 0 && float.IsFinite(sizes[i].Width) && float.IsFinite(sizes[i].Height)))
                throw new ArgumentException($"Box {i} has a size of {sizes[i].Width}x{sizes[i].Height}; anchors are clustered from positive, finite sizes.", nameof(sizes));
        }
        int distinct = sizes.Distinct().Count();
        if (distinct < count)
            throw new ArgumentException($"Clustering {count} anchors needs at least {count} different box sizes, the training data has {distinct}; use the configuration's or the paper's anchors.", nameof(sizes));

        var random = new Random(seed);
        var centroids = new List<(double Width, double Height)> { ToDouble(sizes[random.Next(sizes.Count)]) };
        var nearest = new double[sizes.Count];
        while (centroids.Count < count)
        {
            // k-means++: the next centroid is a box drawn with probability proportional to its squared distance.
            double total = 0;
            for (int i = 0; i < sizes.Count; i++)
            {
                double d = 1 - centroids.Max(c => Iou(sizes[i], c));
                nearest[i] = d * d;
                total += nearest[i];
            }
            double pick = random.NextDouble() * total;
            int chosen = sizes.Count - 1;
            for (int i = 0; i < sizes.Count; i++)
            {
                pick -= nearest[i];
                if (pick <= 0 && nearest[i] > 0)
                {
                    chosen = i;
                    break;
                }
            }
            centroids.Add(ToDouble(sizes[chosen]));
        }

        var assignment = new int[sizes.Count];
        Array.Fill(assignment, -1);
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            bool changed = false;
            for (int i = 0; i < sizes.Count; i++)
            {
                int best = 0;
                double bestIou = -1;
                for (int c = 0; c < centroids.Count; c++)
                {
                    double iou = Iou(sizes[i], centroids[c]);
                    if (iou > bestIou)
                        (best, bestIou) = (c, iou);
                }
                changed |= assignment[i] != best;
                assignment[i] = best;
            }
            if (!changed)
                break;
            for (int c = 0; c < centroids.Count; c++)
            {
                double width = 0, height = 0;
                int members = 0;
                for (int i = 0; i < sizes.Count; i++)
                {
                    if (assignment[i] != c)
                        continue;
                    width += sizes[i].Width;
                    height += sizes[i].Height;
                    members++;
                }
                if (members > 0)
                    centroids[c] = (width / members, height / members);
            }
        }
        return centroids.OrderBy(c => c.Width * c.Height).Select(c => ((float)c.Width, (float)c.Height)).ToArray();
    }

    /// <summary>Mean over boxes of the best shape IoU with any anchor: how well the anchors fit the data (YOLO9000's "Avg IOU").</summary>
    public static double MeanBestIou(IReadOnlyList<(float Width, float Height)> sizes, IReadOnlyList<(float Width, float Height)> anchors)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        ArgumentNullException.ThrowIfNull(anchors);
        if (sizes.Count == 0 || anchors.Count == 0)
            throw new ArgumentException("The mean best IoU needs at least one box and one anchor.");
        return sizes.Average(s => anchors.Max(a => Iou(s, ToDouble(a))));
    }

    private static (double Width, double Height) ToDouble((float Width, float Height) size) => (size.Width, size.Height);

    private static double Iou((float Width, float Height) box, (double Width, double Height) centroid)
    {
        double intersection = Math.Min(box.Width, centroid.Width) * Math.Min(box.Height, centroid.Height);
        return intersection / ((double)box.Width * box.Height + centroid.Width * centroid.Height - intersection);
    }
}
