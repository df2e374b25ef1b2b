using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Optimizers;
using Microsoft.ML.DeepExtensions.Schedules;
using Microsoft.ML.DeepExtensions.Trainers;
using Microsoft.ML.DeepExtensions.Training;

namespace Microsoft.ML.DeepExtensions.Tests.Trainers;

/// <summary>
/// <see cref="DeepTrainerOptions.TimeLimit"/>: runs are shortened to the epochs that fit, get them back (with a margin) when
/// the epochs speed up, never beyond the requested count, and the schedule follows the new count.
/// </summary>
[TestClass]
public sealed class TimeLimitTests
{
    private static IReadOnlyList<TrainingProgress> Train(TimeSpan? limit, int epochs)
    {
        var ml = new MLContext(seed: 1);
        var trainer = ml.BinaryClassification.Trainers.Mlp(new MlpTrainer.Options
        {
            HiddenLayers = new[] { 8 },
            Epochs = epochs,
            BatchSize = 32,
            Device = ComputeDevice.Cpu,
            Seed = 3,
            EarlyStoppingPatience = 0,
            TimeLimit = limit,
        });
        using var model = trainer.Fit(ml.Data.LoadFromEnumerable(SyntheticData.Binary(100, 1)));
        return trainer.TrainingHistory;
    }

    [TestMethod]
    public void ABudgetSmallerThanAnEpochStopsAfterTheFirst()
    {
        var history = Train(TimeSpan.FromTicks(1), epochs: 20);
        Assert.AreEqual(1, history.Count);
    }

    [TestMethod]
    public void AGenerousBudgetChangesNothing()
    {
        var history = Train(TimeSpan.FromHours(1), epochs: 3);
        Assert.AreEqual(3, history.Count);
        Assert.IsTrue(history.All(p => p.Epochs == 3));
    }

    [TestMethod]
    public void TheEpochCountFollowsTheMeanEpochTime()
    {
        // 24 requested, a 840 s budget (the CLI's YOLO run): a slow start at 40 s per epoch leaves room for 21.
        Assert.AreEqual(21, TrainingLoop.EpochsWithinBudget(24, 24, 3, 40, 840));
        // The mean falls to 34 s: 24 fit (840 / 34 = 24.7, and 0.95 of it 23.5), so 23 come back, not more.
        Assert.AreEqual(23, TrainingLoop.EpochsWithinBudget(24, 21, 6, 34, 840));
        // A wobble that fits 22 without the 5% margin (840 / 38 = 22.1, 0.95 of it 21.0) changes nothing.
        Assert.AreEqual(21, TrainingLoop.EpochsWithinBudget(24, 21, 6, 38, 840));
        // Never beyond the request, never below the epochs done, shortened again as soon as the mean grows.
        Assert.AreEqual(24, TrainingLoop.EpochsWithinBudget(24, 21, 6, 10, 840));
        Assert.AreEqual(9, TrainingLoop.EpochsWithinBudget(24, 21, 9, 200, 840));
        Assert.AreEqual(20, TrainingLoop.EpochsWithinBudget(24, 23, 9, 41, 840));
    }

    [TestMethod]
    public void TheScheduleIsStretchedOverTheEpochsThatFit()
    {
        var options = new MlpTrainer.Options { Optimizer = new Adam(0.01), LearningRateSchedule = new CosineSchedule(), Epochs = 10 };
        // Two epochs done, four fit: the third epoch's rate is the cosine's half-way point over four, not 0.9 of the way down over ten.
        var schedule = TrainingLoop.Restart(options, 4, new[] { 0.7, 0.6 });
        Assert.AreEqual(0.01 * (1 + Math.Cos(Math.PI * 2 / 4)) / 2, schedule.LearningRate, 1e-12);
    }

    [TestMethod]
    public void ANonPositiveBudgetIsRefusedByName()
    {
        var ml = new MLContext(seed: 1);
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.BinaryClassification.Trainers.Mlp(new MlpTrainer.Options { TimeLimit = TimeSpan.Zero }).Fit(ml.Data.LoadFromEnumerable(SyntheticData.Binary(20, 1))));
        StringAssert.Contains(error.Message, "TimeLimit");
    }
}
