namespace Microsoft.ML.DeepExtensions.Vision.Evaluation;

/// <summary>
/// PASCAL VOC's average precision at IoU 0.5 (the VOC2010+ "all points" definition): per class, predictions
/// of all images by decreasing score; each is a true positive when its best-overlapping ground truth of the
/// class in its image has IoU &gt; 0.5 and was not taken yet, a false positive otherwise (a duplicate, or
/// no overlap above 0.5); a best match that is "difficult" (here: crowd) counts as neither. AP is the area
/// under the precision–recall curve after making precision non-increasing from the right. Equal scores are
/// taken in image order, then in prediction order within an image (as COCOeval pools them). Boxes use
/// continuous coordinates (no VOC devkit "+1" pixel).
/// </summary>
internal static class VocAveragePrecision
{
    public const double IouThreshold = 0.5;

    /// <summary>AP per class (-1 for classes without counted ground truth) and their mean over classes with some.</summary>
    public static (IReadOnlyDictionary<string, double> PerClass, double Mean) Compute(EvaluationSet set)
    {
        var perClass = new Dictionary<string, double>(StringComparer.Ordinal);
        var defined = new List<double>();
        for (int k = 0; k < set.CategoryNames.Count; k++)
        {
            double ap = ComputeClass(set, k);
            perClass[set.CategoryNames[k]] = ap;
            if (ap > -1)
                defined.Add(ap);
        }
        return (perClass, defined.Count == 0 ? -1 : defined.Average());
    }

    private static double ComputeClass(EvaluationSet set, int category)
    {
        var truth = new List<GroundTruthObject>[set.ImageCount];
        var taken = new bool[set.ImageCount][];
        int counted = 0;
        var predictions = new List<(double Score, int Image, PredictedObject Object, int Order)>();
        for (int image = 0; image < set.ImageCount; image++)
        {
            truth[image] = set.GroundTruth[image].Where(g => g.Category == category).ToList();
            taken[image] = new bool[truth[image].Count];
            counted += truth[image].Count(g => !g.IsCrowd);
            foreach (var p in set.Predictions[image].Where(p => p.Category == category))
                predictions.Add((p.Score, image, p, predictions.Count));
        }
        if (counted == 0)
            return -1;
        predictions.Sort((a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : a.Order.CompareTo(b.Order));

        var recall = new List<double>();
        var precision = new List<double>();
        double truePositives = 0, falsePositives = 0;
        foreach (var (_, image, predicted, _) in predictions)
        {
            double best = double.NegativeInfinity;
            int match = -1;
            for (int g = 0; g < truth[image].Count; g++)
            {
                double iou = set.Iou(predicted, truth[image][g], crowdRule: false);
                if (iou > best)
                {
                    best = iou;
                    match = g;
                }
            }
            if (match >= 0 && best > IouThreshold)
            {
                if (truth[image][match].IsCrowd)
                    continue;
                if (!taken[image][match])
                {
                    taken[image][match] = true;
                    truePositives++;
                }
                else
                {
                    falsePositives++;
                }
            }
            else
            {
                falsePositives++;
            }
            recall.Add(truePositives / counted);
            precision.Add(truePositives / (truePositives + falsePositives));
        }

        // Area under the curve with precision made non-increasing from the right, between recall 0 and the last recall.
        double ap = 0, envelope = 0, previousRecall = 0;
        for (int i = precision.Count - 1; i >= 0; i--)
            precision[i] = envelope = Math.Max(envelope, precision[i]);
        for (int i = 0; i < recall.Count; i++)
        {
            ap += (recall[i] - previousRecall) * precision[i];
            previousRecall = recall[i];
        }
        return ap;
    }
}
