namespace Microsoft.ML.DeepExtensions.Vision.Haar.Training;

/// <summary>The stumps of a trained stage, its threshold and how it did on its training samples.</summary>
/// <param name="Stumps">The weak classifiers, in the order they were added (features are pool indices).</param>
/// <param name="Threshold">The stage threshold: a window passes when its sum reaches it.</param>
/// <param name="HitRate">Fraction of the stage's positives that pass it.</param>
/// <param name="FalseAlarmRate">Fraction of the stage's negatives that pass it.</param>
internal sealed record TrainedStage(IReadOnlyList<GentleStump> Stumps, float Threshold, double HitRate, double FalseAlarmRate);

/// <summary>
/// Trains one stage of the cascade as <c>opencv_traincascade</c> does: Gentle AdaBoost rounds add
/// stumps; after each, the stage threshold is set so that at least the minimum hit rate of the
/// positives pass, and the stage is done once the false-alarm rate on the negatives is at most the
/// maximum (or the stage has the most weak classifiers allowed).
/// </summary>
internal static class HaarStageTrainer
{
    /// <param name="features">The pool's sorted columns over the samples.</param>
    /// <param name="positives">How many of the samples (the first ones) are positives; the rest are negatives.</param>
    /// <param name="minHitRate">Fraction of positives the stage must pass.</param>
    /// <param name="maxFalseAlarmRate">The stage ends once at most this fraction of negatives passes.</param>
    /// <param name="maxWeakCount">The most stumps the stage may have.</param>
    /// <param name="parallel">Threads for the stump search; results do not depend on it.</param>
    /// <param name="cancellation">Checked between features and rounds.</param>
    public static TrainedStage Train(PresortedFeatures features, int positives, double minHitRate, double maxFalseAlarmRate, int maxWeakCount,
        ParallelOptions parallel, CancellationToken cancellation)
    {
        int n = features.SampleCount;
        int negatives = n - positives;
        var labels = new float[n];
        for (int i = 0; i < n; i++)
            labels[i] = i < positives ? 1f : -1f;
        var weights = new double[n];
        Array.Fill(weights, 1.0 / n);
        var sums = new double[n];
        var values = new float[n];
        var outputs = new float[n];
        var positiveSums = new double[positives];
        var stumps = new List<GentleStump>();
        float threshold = 0;
        double hitRate = 0, falseAlarmRate = 1;
        while (stumps.Count < maxWeakCount)
        {
            cancellation.ThrowIfCancellationRequested();
            var stump = GentleAdaBoost.BestStump(features, labels, weights, parallel, cancellation)
                ?? throw new InvalidOperationException("No Haar feature separates the samples: every feature takes the same value on all of them.");
            features.Values(stump.Feature, values);
            for (int i = 0; i < n; i++)
            {
                outputs[i] = stump.Evaluate(values[i]);
                sums[i] += outputs[i];
            }
            stumps.Add(stump);
            GentleAdaBoost.UpdateWeights(weights, labels, outputs);

            // The threshold the minimum hit rate allows: the sum of the positive at that quantile,
            // rounded down to a float so that this positive still passes.
            Array.Copy(sums, positiveSums, positives);
            Array.Sort(positiveSums);
            double quantile = positiveSums[Math.Min(positives - 1, (int)((1.0 - minHitRate) * positives))];
            threshold = (float)quantile;
            if (threshold > quantile)
                threshold = MathF.BitDecrement(threshold);
            // Rates are measured with the comparison the detector makes (it lowers the threshold slightly).
            float effective = threshold - CompiledCascade.StageThresholdEpsilon;
            int hits = 0, falseAlarms = 0;
            for (int i = 0; i < n; i++)
            {
                if (!(sums[i] < effective))
                {
                    if (i < positives)
                        hits++;
                    else
                        falseAlarms++;
                }
            }
            hitRate = (double)hits / positives;
            falseAlarmRate = negatives == 0 ? 0 : (double)falseAlarms / negatives;
            if (falseAlarmRate <= maxFalseAlarmRate)
                break;
        }
        return new TrainedStage(stumps, threshold, hitRate, falseAlarmRate);
    }
}
