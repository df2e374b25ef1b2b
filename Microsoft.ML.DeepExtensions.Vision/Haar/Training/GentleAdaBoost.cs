namespace Microsoft.ML.DeepExtensions.Vision.Haar.Training;

/// <summary>
/// Gentle AdaBoost (Friedman, Hastie &amp; Tibshirani 2000) over regression stumps on Haar features,
/// the booster <c>opencv_traincascade</c> uses by default. Each round fits, for every feature, the
/// stump that minimises the weighted squared error <c>Σ wᵢ (yᵢ - f(xᵢ))²</c> (leaves are weighted
/// label means, thresholds midway between consecutive distinct sorted values), keeps the best one,
/// then reweights <c>wᵢ ← wᵢ·exp(-yᵢ f(xᵢ))</c> and normalises the weights to sum 1.
/// </summary>
public static class GentleAdaBoost
{
    /// <summary>
    /// The best stump on one feature, from its values sorted ascending and the sample each came from.
    /// </summary>
    /// <param name="feature">The feature's index, copied into the result.</param>
    /// <param name="sortedValues">The feature's values in ascending order.</param>
    /// <param name="order">For each sorted position, the sample's index.</param>
    /// <param name="labels">+1 or -1 per sample.</param>
    /// <param name="weights">Non-negative weight per sample.</param>
    /// <returns>The stump, or null when the feature takes a single value (no split exists).</returns>
    public static GentleStump? BestStump(int feature, ReadOnlySpan<float> sortedValues, ReadOnlySpan<int> order, ReadOnlySpan<float> labels, ReadOnlySpan<double> weights)
    {
        int n = sortedValues.Length;
        double totalW = 0, totalWy = 0;
        for (int k = 0; k < n; k++)
        {
            int i = order[k];
            totalW += weights[i];
            totalWy += weights[i] * labels[i];
        }
        return BestStump(feature, sortedValues, order, labels, weights, totalW, totalWy);
    }

    private static GentleStump? BestStump(int feature, ReadOnlySpan<float> sortedValues, ReadOnlySpan<int> order, ReadOnlySpan<float> labels, ReadOnlySpan<double> weights, double totalW, double totalWy)
    {
        int n = sortedValues.Length;
        double leftW = 0, leftWy = 0;
        double bestScore = double.NegativeInfinity;
        int bestK = -1;
        double bestLeftW = 0, bestLeftWy = 0;
        for (int k = 0; k < n - 1; k++)
        {
            int i = order[k];
            leftW += weights[i];
            leftWy += weights[i] * labels[i];
            if (sortedValues[k] == sortedValues[k + 1])
                continue;
            double rightW = totalW - leftW;
            if (leftW <= 0 || rightW <= 0)
                continue;
            double rightWy = totalWy - leftWy;
            // Σw(y - f)² = Σw·y² - (Σ_L wy)²/Σ_L w - (Σ_R wy)²/Σ_R w, and y² = 1: maximise the two ratios.
            double score = leftWy * leftWy / leftW + rightWy * rightWy / rightW;
            if (score > bestScore)
            {
                bestScore = score;
                bestK = k;
                bestLeftW = leftW;
                bestLeftWy = leftWy;
            }
        }
        if (bestK < 0)
            return null;
        float below = sortedValues[bestK], above = sortedValues[bestK + 1];
        float threshold = (float)((below + (double)above) / 2);
        // The midpoint of two neighbouring floats may round onto the lower one, which would send it right.
        if (threshold <= below)
            threshold = above;
        double right = totalW - bestLeftW;
        return new GentleStump(feature, threshold, (float)(bestLeftWy / bestLeftW), (float)((totalWy - bestLeftWy) / right), totalW - bestScore);
    }

    /// <summary>
    /// The best stump over every feature of the pool: each feature's stump is fitted on its own
    /// (in parallel), and the lowest error wins, ties going to the lower feature index, so the result
    /// does not depend on the degree of parallelism.
    /// </summary>
    internal static GentleStump? BestStump(PresortedFeatures features, ReadOnlySpan<float> labels, ReadOnlySpan<double> weights, ParallelOptions parallel, CancellationToken cancellation)
    {
        int n = features.SampleCount;
        double totalW = 0, totalWy = 0;
        for (int i = 0; i < n; i++)
        {
            totalW += weights[i];
            totalWy += weights[i] * labels[i];
        }
        var labelArray = labels.ToArray();
        var weightArray = weights.ToArray();
        // Features in blocks: one best stump per block, reduced in block order afterwards.
        const int BlockSize = 256;
        int blocks = (features.FeatureCount + BlockSize - 1) / BlockSize;
        var best = new GentleStump?[blocks];
        Parallel.For(0, blocks, parallel,
            () => (new float[n], new int[n]),
            (block, _, buffers) =>
            {
                cancellation.ThrowIfCancellationRequested();
                GentleStump? blockBest = null;
                int end = Math.Min(features.FeatureCount, (block + 1) * BlockSize);
                for (int f = block * BlockSize; f < end; f++)
                {
                    var (values, order) = features.Column(f, buffers.Item1, buffers.Item2);
                    var stump = BestStump(f, values.Span, order.Span, labelArray, weightArray, totalW, totalWy);
                    if (stump is { } s && (blockBest is null || s.Error < blockBest.Value.Error))
                        blockBest = s;
                }
                best[block] = blockBest;
                return buffers;
            },
            _ => { });
        GentleStump? winner = null;
        foreach (var candidate in best)
        {
            if (candidate is { } c && (winner is null || c.Error < winner.Value.Error))
                winner = c;
        }
        return winner;
    }

    /// <summary>
    /// Reweights the samples after a round: <c>wᵢ ← wᵢ·exp(-yᵢ·outputᵢ)</c>, then normalises them to sum 1.
    /// </summary>
    /// <param name="weights">The weights, updated in place.</param>
    /// <param name="labels">+1 or -1 per sample.</param>
    /// <param name="outputs">The new weak classifier's output per sample.</param>
    public static void UpdateWeights(Span<double> weights, ReadOnlySpan<float> labels, ReadOnlySpan<float> outputs)
    {
        if (labels.Length != weights.Length || outputs.Length != weights.Length)
            throw new ArgumentException($"Weights, labels and outputs must have the same length, got {weights.Length}, {labels.Length} and {outputs.Length}.");
        double sum = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] *= Math.Exp(-labels[i] * (double)outputs[i]);
            sum += weights[i];
        }
        if (!(sum > 0) || !double.IsFinite(sum))
            throw new InvalidOperationException($"The boosting weights sum to {sum} after reweighting; the samples cannot be weighted further.");
        for (int i = 0; i < weights.Length; i++)
            weights[i] /= sum;
    }
}
