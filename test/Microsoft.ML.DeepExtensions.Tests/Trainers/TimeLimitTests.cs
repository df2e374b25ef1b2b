using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Optimizers;
using Microsoft.ML.DeepExtensions.Schedules;
using Microsoft.ML.DeepExtensions.Trainers;
using Microsoft.ML.DeepExtensions.Training;

namespace Microsoft.ML.DeepExtensions.Tests.Trainers;

/// <summary><see cref="DeepTrainerOptions.TimeLimit"/>: runs are shortened to the epochs that fit, never lengthened, and the schedule follows the new count.</summary>
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
