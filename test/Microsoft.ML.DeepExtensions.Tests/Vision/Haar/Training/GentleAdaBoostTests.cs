using Microsoft.ML.DeepExtensions.Vision.Haar.Training;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Haar.Training;

[TestClass]
public sealed class GentleAdaBoostTests
{
    [TestMethod]
    public void SeparableSetGivesAPerfectStumpMidwayBetweenTheClasses()
    {
        float[] values = [1, 2, 3, 4, 5, 6];
        float[] labels = [-1, -1, -1, 1, 1, 1];
        var stump = GentleAdaBoost.BestStump(7, values, [0, 1, 2, 3, 4, 5], labels, Uniform(6))!.Value;
        Assert.AreEqual(7, stump.Feature);
        Assert.AreEqual(3.5f, stump.Threshold);
        Assert.AreEqual(-1f, stump.LeftValue);
        Assert.AreEqual(1f, stump.RightValue);
        Assert.AreEqual(0, stump.Error, 1e-12);
    }

    [TestMethod]
    public void UnsortedSamplesAreReadThroughTheOrder()
    {
        // Samples in any order; the sorted view is values[order[k]].
        float[] raw = [6, 1, 5, 2, 4, 3];
        float[] labels = [1, -1, 1, -1, 1, -1];
        int[] order = [1, 3, 5, 4, 2, 0];
        float[] sorted = order.Select(i => raw[i]).ToArray();
        var stump = GentleAdaBoost.BestStump(0, sorted, order, labels, Uniform(6))!.Value;
        Assert.AreEqual(3.5f, stump.Threshold);
        Assert.AreEqual(-1f, stump.Evaluate(1));
        Assert.AreEqual(1f, stump.Evaluate(6));
    }

    [TestMethod]
    public void WeightedStumpEqualsABruteForceLeastSquaresSearch()
    {
        var random = new Random(3);
        for (int trial = 0; trial < 20; trial++)
        {
            int n = random.Next(5, 40);
            // Few distinct values so that ties occur: a split may never separate equal values.
            var values = Enumerable.Range(0, n).Select(_ => (float)random.Next(0, 8)).ToArray();
            var labels = Enumerable.Range(0, n).Select(_ => random.Next(2) == 0 ? -1f : 1f).ToArray();
            var weights = Enumerable.Range(0, n).Select(_ => random.NextDouble() + 0.01).ToArray();
            var order = Enumerable.Range(0, n).OrderBy(i => values[i]).ToArray();
            var sorted = order.Select(i => values[i]).ToArray();
            var stump = GentleAdaBoost.BestStump(0, sorted, order, labels, weights);

            // Oracle: every threshold between distinct values, leaves = weighted label means, error summed directly.
            var distinct = values.Distinct().Order().ToArray();
            if (distinct.Length < 2)
            {
                Assert.IsNull(stump);
                continue;
            }
            double bestError = double.PositiveInfinity;
            for (int t = 0; t + 1 < distinct.Length; t++)
            {
                double cut = (distinct[t] + distinct[t + 1]) / 2.0;
                double Mean(Func<int, bool> side) =>
                    Enumerable.Range(0, n).Where(side).Sum(i => weights[i] * labels[i]) / Enumerable.Range(0, n).Where(side).Sum(i => weights[i]);
                double left = Mean(i => values[i] < cut), right = Mean(i => values[i] >= cut);
                double error = Enumerable.Range(0, n).Sum(i => weights[i] * Math.Pow(labels[i] - (values[i] < cut ? left : right), 2));
                bestError = Math.Min(bestError, error);
            }
            Assert.IsNotNull(stump);
            Assert.AreEqual(bestError, stump.Value.Error, 1e-9, $"trial {trial}");
            double direct = Enumerable.Range(0, n).Sum(i => weights[i] * Math.Pow(labels[i] - stump.Value.Evaluate(values[i]), 2));
            Assert.AreEqual(direct, stump.Value.Error, 1e-6, $"trial {trial}: the stump's own error");
        }
    }

    [TestMethod]
    public void ConstantFeatureHasNoStump()
    {
        Assert.IsNull(GentleAdaBoost.BestStump(0, [2f, 2f, 2f], [0, 1, 2], [1f, -1f, 1f], Uniform(3)));
    }

    [TestMethod]
    public void WeightsAreMultipliedByExpOfMinusLabelTimesOutputAndNormalised()
    {
        double[] weights = [0.25, 0.25, 0.25, 0.25];
        float[] labels = [1, 1, -1, -1];
        float[] outputs = [0.5f, -0.5f, -0.5f, 0.5f]; // right, wrong, right, wrong
        GentleAdaBoost.UpdateWeights(weights, labels, outputs);
        double right = 0.25 * Math.Exp(-0.5), wrong = 0.25 * Math.Exp(0.5), sum = 2 * right + 2 * wrong;
        CollectionAssert.AreEqual(new[] { right / sum, wrong / sum, right / sum, wrong / sum }, weights, new Tolerance(1e-15));
        Assert.AreEqual(1, weights.Sum(), 1e-12);
        Assert.IsTrue(weights[1] > weights[0], "A misclassified sample must gain weight.");
    }

    [TestMethod]
    public void MismatchedLengthsAreRefused()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => GentleAdaBoost.UpdateWeights(new double[3], new float[2], new float[3]));
        StringAssert.Contains(error.Message, "same length");
    }

    private static double[] Uniform(int n) => Enumerable.Repeat(1.0 / n, n).ToArray();

    private sealed class Tolerance(double epsilon) : System.Collections.IComparer
    {
        public int Compare(object? x, object? y) => Math.Abs((double)x! - (double)y!) <= epsilon ? 0 : ((double)x!).CompareTo((double)y!);
    }
}
