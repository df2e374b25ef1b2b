using Microsoft.ML.DeepExtensions.Schedules;
using ScheduleRegistry = Microsoft.ML.DeepExtensions.Schedules.Schedules;

namespace Microsoft.ML.DeepExtensions.Tests.BuildingBlocks.Schedules;

[TestClass]
public sealed class ScheduleTests
{
    public static IEnumerable<object[]> GoldenSpecs => Golden.Cases("schedules").Select(c => new object[] { c.GetProperty("spec").GetString()! });

    [TestMethod]
    [DynamicData(nameof(GoldenSpecs))]
    public void LearningRatesMatchPyTorch(string spec)
    {
        var section = Golden.Section("schedules");
        var expected = Golden.Doubles(Golden.Case("schedules", spec).GetProperty("learning_rates"));
        var losses = Golden.Doubles(section.GetProperty("monitored_losses"));
        var scheduler = ScheduleRegistry.Get(spec).Start(section.GetProperty("base_learning_rate").GetDouble(), section.GetProperty("total_epochs").GetInt32());

        for (int epoch = 0; epoch < expected.Length; epoch++)
        {
            Golden.AssertClose(expected[epoch], scheduler.LearningRate, $"{spec} in epoch {epoch}");
            scheduler.EpochCompleted(epoch, losses[epoch]);
        }
    }

    [TestMethod]
    public void EveryScheduleHasGoldenValues()
    {
        var covered = Golden.Cases("schedules").Select(c => ScheduleRegistry.Get(c.GetProperty("spec").GetString()!).Name).ToHashSet();
        CollectionAssert.AreEquivalent(ScheduleRegistry.Names.ToArray(), covered.ToArray());
    }

    [TestMethod]
    public void DefaultsAreThoseOfPyTorch()
    {
        var step = new StepSchedule();
        Assert.AreEqual((10, 0.1), (step.StepSize, step.Gamma));
        var cosine = new CosineSchedule();
        Assert.AreEqual((0, 0.0), (cosine.MaxEpochs, cosine.MinLearningRate));
        var plateau = new ReduceOnPlateauSchedule();
        Assert.AreEqual((0.1, 10, 1e-4, 0, 0.0), (plateau.Factor, plateau.Patience, plateau.Threshold, plateau.Cooldown, plateau.MinLearningRate));
    }

    [TestMethod]
    public void CosineSpansTheRunUnlessMaxEpochsIsSet()
    {
        var whole = new CosineSchedule(minLearningRate: 0.01).Start(0.1, totalEpochs: 4);
        var fixedPeriod = new CosineSchedule(maxEpochs: 2, minLearningRate: 0.01).Start(0.1, totalEpochs: 4);
        for (int epoch = 0; epoch < 4; epoch++)
        {
            whole.EpochCompleted(epoch, 1.0);
            fixedPeriod.EpochCompleted(epoch, 1.0);
            if (epoch == 1)
                Golden.AssertClose(0.01, fixedPeriod.LearningRate, "half cosine of 2 epochs, after 2");
        }
        Golden.AssertClose(0.01, whole.LearningRate, "half cosine of the run's 4 epochs, after 4");
    }

    [TestMethod]
    [DataRow("step:step-size=0", "StepSize must be positive, got 0.")]
    [DataRow("step:gamma=0", "Gamma must be positive, got 0.")]
    [DataRow("cosine:max-epochs=-1", "MaxEpochs must be 0 or more, got -1.")]
    [DataRow("cosine:min-learning-rate=-0.1", "MinLearningRate must be 0 or more, got -0.1.")]
    [DataRow("reduce-on-plateau:factor=1", "Factor must be in (0, 1), got 1.")]
    [DataRow("reduce-on-plateau:patience=-1", "Patience must be 0 or more, got -1.")]
    [DataRow("reduce-on-plateau:cooldown=-2", "Cooldown must be 0 or more, got -2.")]
    public void InvalidHyperparametersAreRefused(string spec, string message)
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ScheduleRegistry.Get(spec));
        StringAssert.StartsWith(error.Message, message);
    }

    [TestMethod]
    [DataRow("constant")]
    [DataRow("step")]
    [DataRow("cosine")]
    [DataRow("reduce-on-plateau")]
    public void StartRefusesANonPositiveLearningRate(string spec)
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ScheduleRegistry.Get(spec).Start(0, 10));
        StringAssert.Contains(error.Message, "must be positive, got 0.");
    }

    [TestMethod]
    public void CosineNeedsTheRunLengthWhenMaxEpochsIsUnset()
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new CosineSchedule().Start(0.1, 0));
        StringAssert.StartsWith(error.Message, "TotalEpochs must be positive, got 0.");
    }
}
