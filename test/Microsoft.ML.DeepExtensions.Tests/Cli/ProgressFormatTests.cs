using DeepExtensions.Cli.Output;
using Microsoft.ML.DeepExtensions.Training;

namespace Microsoft.ML.DeepExtensions.Tests.Cli;

/// <summary>Epoch lines show slow rates (a detector's images per second) with their digits, not rounded to 0 or 1.</summary>
[TestClass]
public sealed class ProgressFormatTests
{
    [TestMethod]
    [DataRow(0.934, "0.93 images/s")]
    [DataRow(0.0461, "0.046 images/s")]
    [DataRow(2.5, "2.5 images/s")]
    [DataRow(12.4, "12 images/s")]
    [DataRow(25_000.4, "25,000 images/s")]
    public void RatesKeepTwoSignificantDigitsBelowTen(double rate, string expected)
    {
        var epoch = new TrainingProgress(1, 6, TrainingLoss: 0.69, ValidationLoss: null, ValidationMetricName: "AP", ValidationMetric: null,
            LearningRate: 0.01, RowsPerSecond: rate, Elapsed: TimeSpan.FromSeconds(1), IsBest: true);
        StringAssert.EndsWith(ProgressReporter.Format(epoch, "images") + " ", $"  {expected}  * ");
        StringAssert.Contains(epoch.ToString(), $", {expected.Replace("images", "rows")}");
    }
}
