namespace Microsoft.ML.DeepExtensions.Vision.Evaluation;

/// <summary>
/// COCO's bounding-box and segmentation evaluation (the procedure of the COCO detection challenge, as pycocotools'
/// COCOeval defines it for <c>iouType</c> "bbox" and "segm"), written from its published description.
/// </summary>
/// <remarks>
/// <para>Per image, category, area range and IoU threshold t (0.50, 0.55, ..., 0.95): predictions, by
/// decreasing score (ties keep input order) and at most 100 per image and category, are matched greedily:
/// each takes, among the ground truths not yet taken (crowd ground truths may be taken again), the one with
/// the highest IoU ≥ t, preferring ground truths that count over ignored ones (a match to an ignored
/// one is only taken when no counted one qualifies). Ground truths are ignored when crowd or outside
/// the area range; a prediction matched to an ignored ground truth, or unmatched with a box area outside the
/// range, is ignored. IoU with a crowd ground truth is <c>|p ∩ g| / |p|</c>. Boxes or masks (run-length encoded) by the
/// set's <see cref="CocoIouType"/>; for masks, a prediction's area is its mask's.</para>
/// <para>Per category, area range, maximum detections m (1, 10, 100) and t: predictions of every image (the
/// first m of each image) are pooled by decreasing score; precision/recall come from the cumulated true and
/// false positives over N counted ground truths; precision is made non-increasing from the right and read at
/// the 101 recall points 0, 0.01, ..., 1 (the first prediction reaching that recall; 0 past the last).
/// AP is the mean over recall points, thresholds and categories with N &gt; 0; AR is the final recall,
/// averaged the same way. A value with nothing to average is -1.</para>
/// </remarks>
internal static class CocoEvaluator
{
    private const int ThresholdCount = 10;
    private const int RecallPointCount = 101;

    /// <summary>0.50, 0.55, ..., 0.95, computed as numpy's linspace does (start + i·step, exact end).</summary>
    internal static readonly double[] IouThresholds = Linspace(0.5, 0.95, ThresholdCount);

    /// <summary>0, 0.01, ..., 1.</summary>
    internal static readonly double[] RecallPoints = Linspace(0, 1, RecallPointCount);

    /// <summary>Maximum detections per image and category.</summary>
    internal static readonly int[] MaxDetections = { 1, 10, 100 };

    /// <summary>all, small (area ≤ 32²), medium (32² to 96²), large (≥ 96²); bounds inclusive as in COCOeval.</summary>
    internal static readonly (string Name, double Min, double Max)[] AreaRanges =
    {
        ("all", 0, 1e10), ("small", 0, 32 * 32), ("medium", 32 * 32, 96 * 96), ("large", 96 * 96, 1e10),
    };

    private static double[] Linspace(double start, double stop, int count)
    {
        double step = (stop - start) / (count - 1);
        var values = new double[count];
        for (int i = 0; i < count; i++)
            values[i] = start + i * step;
        values[^1] = stop;
        return values;
    }

    /// <summary>The result of matching one image's predictions of one category in one area range.</summary>
    private sealed class ImageEvaluation
    {
        public required double[] Scores { get; init; }
        public required bool[,] Matched { get; init; }
        public required bool[,] Ignored { get; init; }
        public required int CountedGroundTruths { get; init; }
    }

    /// <summary>
    /// Precision at each (threshold, recall point) and final recall at each threshold, by category, area
    /// range and maximum detections; -1 where a category has no counted ground truth.
    /// </summary>
    internal sealed class Accumulation
    {
        public required double[,,,,] Precision { get; init; } // [T, R, K, A, M]
        public required double[,,,] Recall { get; init; }     // [T, K, A, M]
    }

    public static DetectionMetrics Evaluate(EvaluationSet set)
    {
        var accumulation = Accumulate(set);
        var stats = Summarize(accumulation);
        var perClass = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int k = 0; k < set.CategoryNames.Count; k++)
            perClass[set.CategoryNames[k]] = MeanPrecision(accumulation, k);
        var voc = VocAveragePrecision.Compute(set);
        int groundTruths = set.GroundTruth.Sum(g => g.Count), predictions = set.Predictions.Sum(p => p.Count);
        return new DetectionMetrics(stats, perClass, voc.PerClass, voc.Mean, set.ImageCount, groundTruths, predictions);
    }

    internal static Accumulation Accumulate(EvaluationSet set)
    {
        int categories = set.CategoryNames.Count, areas = AreaRanges.Length, maxDets = MaxDetections.Length;
        var precision = new double[ThresholdCount, RecallPointCount, categories, areas, maxDets];
        var recall = new double[ThresholdCount, categories, areas, maxDets];
        Fill(precision, -1);
        Fill(recall, -1);
        int maxDet = MaxDetections[^1];
        for (int k = 0; k < categories; k++)
        {
            var perImage = new List<(List<GroundTruthObject> Truth, List<PredictedObject> Predicted, double[,] Iou)>();
            for (int image = 0; image < set.ImageCount; image++)
            {
                var truth = set.GroundTruth[image].Where(g => g.Category == k).ToList();
                // Stable sort by decreasing score, then the 100 best: what every later step sees.
                var predicted = set.Predictions[image].Where(p => p.Category == k)
                    .Select((p, i) => (p, i)).OrderByDescending(x => x.p.Score).ThenBy(x => x.i).Select(x => x.p).Take(maxDet).ToList();
                if (truth.Count == 0 && predicted.Count == 0)
                    continue;
                perImage.Add((truth, predicted, IouMatrix(set, predicted, truth)));
            }
            for (int a = 0; a < areas; a++)
            {
                var evaluations = perImage.Select(x => EvaluateImage(x.Truth, x.Predicted, x.Iou, AreaRanges[a].Min, AreaRanges[a].Max, set.IouType)).ToList();
                for (int m = 0; m < maxDets; m++)
                    AccumulateOne(evaluations, MaxDetections[m], k, a, m, precision, recall);
            }
        }
        return new Accumulation { Precision = precision, Recall = recall };
    }

    /// <summary>IoU of each prediction (row) with each ground truth (column), boxes or masks; crowd columns use the prediction's area as the union.</summary>
    internal static double[,] IouMatrix(EvaluationSet set, IReadOnlyList<PredictedObject> predicted, IReadOnlyList<GroundTruthObject> truth)
    {
        var iou = new double[predicted.Count, truth.Count];
        for (int d = 0; d < predicted.Count; d++)
        {
            for (int g = 0; g < truth.Count; g++)
                iou[d, g] = set.Iou(predicted[d], truth[g], crowdRule: true);
        }
        return iou;
    }

    private static ImageEvaluation EvaluateImage(List<GroundTruthObject> truth, List<PredictedObject> predicted, double[,] iou, double minArea, double maxArea, CocoIouType iouType)
    {
        int g = truth.Count, d = predicted.Count;
        // Ground truths that count first, ignored ones after (stable), as the matching below relies on.
        var ignoredTruth = truth.Select(t => t.IsCrowd || t.Area < minArea || t.Area > maxArea).ToArray();
        var order = Enumerable.Range(0, g).OrderBy(i => ignoredTruth[i] ? 1 : 0).ThenBy(i => i).ToArray();
        var matched = new bool[ThresholdCount, d];
        var ignored = new bool[ThresholdCount, d];
        for (int t = 0; t < ThresholdCount; t++)
        {
            var taken = new bool[g];
            for (int di = 0; di < d; di++)
            {
                double best = Math.Min(IouThresholds[t], 1 - 1e-10);
                int match = -1;
                for (int oi = 0; oi < g; oi++)
                {
                    int gi = order[oi];
                    if (taken[gi] && !truth[gi].IsCrowd)
                        continue;
                    // A match to a counted ground truth is final once only ignored ones remain.
                    if (match > -1 && !ignoredTruth[match] && ignoredTruth[gi])
                        break;
                    if (iou[di, gi] < best)
                        continue;
                    best = iou[di, gi];
                    match = gi;
                }
                if (match == -1)
                    continue;
                ignored[t, di] = ignoredTruth[match];
                matched[t, di] = true;
                taken[match] = true;
            }
            for (int di = 0; di < d; di++)
            {
                double area = predicted[di].Area(iouType);
                if (!matched[t, di] && (area < minArea || area > maxArea))
                    ignored[t, di] = true;
            }
        }
        return new ImageEvaluation
        {
            Scores = predicted.Select(p => p.Score).ToArray(),
            Matched = matched,
            Ignored = ignored,
            CountedGroundTruths = ignoredTruth.Count(i => !i),
        };
    }

    private static void AccumulateOne(List<ImageEvaluation> evaluations, int maxDet, int k, int a, int m, double[,,,,] precision, double[,,,] recall)
    {
        int counted = evaluations.Sum(e => e.CountedGroundTruths);
        if (counted == 0)
            return;
        // Pool the first maxDet predictions of every image, by decreasing score (stable over image order).
        var pooled = new List<(double Score, ImageEvaluation Image, int Index)>();
        foreach (var e in evaluations)
        {
            for (int i = 0; i < Math.Min(maxDet, e.Scores.Length); i++)
                pooled.Add((e.Scores[i], e, i));
        }
        var sorted = pooled.Select((x, order) => (x, order)).OrderByDescending(y => y.x.Score).ThenBy(y => y.order).Select(y => y.x).ToArray();
        var precisionCurve = new List<double>(sorted.Length);
        var recallCurve = new List<double>(sorted.Length);
        for (int t = 0; t < ThresholdCount; t++)
        {
            precisionCurve.Clear();
            recallCurve.Clear();
            double truePositives = 0, falsePositives = 0;
            foreach (var (_, image, index) in sorted)
            {
                if (image.Ignored[t, index])
                {
                    // Ignored predictions leave the cumulative counts as they are but still take a place in the curve.
                }
                else if (image.Matched[t, index])
                {
                    truePositives++;
                }
                else
                {
                    falsePositives++;
                }
                recallCurve.Add(truePositives / counted);
                precisionCurve.Add(truePositives / (truePositives + falsePositives + Eps));
            }
            recall[t, k, a, m] = recallCurve.Count > 0 ? recallCurve[^1] : 0;
            for (int i = precisionCurve.Count - 1; i > 0; i--)
            {
                if (precisionCurve[i] > precisionCurve[i - 1])
                    precisionCurve[i - 1] = precisionCurve[i];
            }
            int position = 0;
            for (int r = 0; r < RecallPointCount; r++)
            {
                // First point of the curve with recall ≥ the recall point (numpy searchsorted, side left).
                while (position < recallCurve.Count && recallCurve[position] < RecallPoints[r])
                    position++;
                precision[t, r, k, a, m] = position < precisionCurve.Count ? precisionCurve[position] : 0;
            }
        }
    }

    /// <summary>numpy's <c>spacing(1)</c>: keeps 0/0 out of the precision.</summary>
    private const double Eps = 2.220446049250313e-16;

    /// <summary>The 12 numbers of COCOeval's summary, in its order.</summary>
    internal static double[] Summarize(Accumulation acc)
    {
        int all = 0, maxDet100 = MaxDetections.Length - 1;
        return new[]
        {
            MeanPrecision(acc, null, all, maxDet100),
            MeanPrecision(acc, 0.5, all, maxDet100),
            MeanPrecision(acc, 0.75, all, maxDet100),
            MeanPrecision(acc, null, 1, maxDet100),
            MeanPrecision(acc, null, 2, maxDet100),
            MeanPrecision(acc, null, 3, maxDet100),
            MeanRecall(acc, all, 0),
            MeanRecall(acc, all, 1),
            MeanRecall(acc, all, maxDet100),
            MeanRecall(acc, 1, maxDet100),
            MeanRecall(acc, 2, maxDet100),
            MeanRecall(acc, 3, maxDet100),
        };
    }

    private static double MeanPrecision(Accumulation acc, double? threshold, int area, int maxDet, int? category = null)
    {
        double sum = 0;
        long count = 0;
        var p = acc.Precision;
        for (int t = 0; t < ThresholdCount; t++)
        {
            if (threshold is { } wanted && Math.Abs(IouThresholds[t] - wanted) > 1e-9)
                continue;
            for (int r = 0; r < RecallPointCount; r++)
            {
                for (int k = 0; k < p.GetLength(2); k++)
                {
                    if (category is { } only && k != only)
                        continue;
                    double value = p[t, r, k, area, maxDet];
                    if (value > -1)
                    {
                        sum += value;
                        count++;
                    }
                }
            }
        }
        return count == 0 ? -1 : sum / count;
    }

    /// <summary>AP@[.50:.95] of one category (all areas, 100 detections), -1 when it has no counted ground truth.</summary>
    private static double MeanPrecision(Accumulation acc, int category) => MeanPrecision(acc, null, 0, MaxDetections.Length - 1, category);

    private static double MeanRecall(Accumulation acc, int area, int maxDet)
    {
        double sum = 0;
        long count = 0;
        var r = acc.Recall;
        for (int t = 0; t < ThresholdCount; t++)
        {
            for (int k = 0; k < r.GetLength(1); k++)
            {
                double value = r[t, k, area, maxDet];
                if (value > -1)
                {
                    sum += value;
                    count++;
                }
            }
        }
        return count == 0 ? -1 : sum / count;
    }

    private static void Fill(Array array, double value)
    {
        var span = System.Runtime.InteropServices.MemoryMarshal.CreateSpan(
            ref System.Runtime.CompilerServices.Unsafe.As<byte, double>(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(array)), array.Length);
        span.Fill(value);
    }
}
