using Microsoft.ML.DeepExtensions.Losses;
using TorchSharp;
using static TorchSharp.torch;
using LossRegistry = Microsoft.ML.DeepExtensions.Losses.Losses;

namespace Microsoft.ML.DeepExtensions.Tests.BuildingBlocks.Losses;

[TestClass]
public sealed class LossTests
{
    public static IEnumerable<object[]> GoldenCases => Golden.Cases("losses")
        .Select(c => new object[] { c.GetProperty("spec").GetString()!, c.GetProperty("inputs").GetString()! });

    [TestMethod]
    [DynamicData(nameof(GoldenCases))]
    public void ComputeMatchesPyTorchLossAndGradient(string spec, string inputs)
    {
        using var scope = torch.NewDisposeScope();
        var golden = Golden.Case("losses", spec, inputs);
        var input = Golden.Section("losses").GetProperty("inputs").GetProperty(inputs);
        var task = Enum.Parse<PredictionTask>(input.GetProperty("task").GetString()!);
        var output = Golden.Floats(input.GetProperty("output")).requires_grad_();
        var target = task == PredictionTask.MulticlassClassification ? Golden.Longs(input.GetProperty("target")) : Golden.Floats(input.GetProperty("target"));

        var loss = LossRegistry.Get(spec).Compute(output, target, task);
        loss.backward();

        Golden.AssertClose(golden.GetProperty("loss"), loss, $"{spec} on {inputs}: loss");
        Golden.AssertClose(golden.GetProperty("grad"), output.grad!, $"{spec} on {inputs}: gradient");
    }

    [TestMethod]
    public void EveryLossHasGoldenValuesForEveryTaskItFits()
    {
        var covered = Golden.Cases("losses")
            .Select(c => (LossRegistry.Get(c.GetProperty("spec").GetString()!).Name, c.GetProperty("task").GetString()))
            .ToHashSet();
        foreach (var task in Enum.GetValues<PredictionTask>())
        {
            foreach (var name in LossRegistry.NamesFor(task))
                Assert.IsTrue(covered.Contains((name, task.ToString())), $"No golden values for loss '{name}' on {task}.");
        }
    }

    [TestMethod]
    [DataRow(PredictionTask.BinaryClassification, new[] { "hinge", "cross-entropy", "sigmoid-cross-entropy" })]
    [DataRow(PredictionTask.MulticlassClassification, new[] { "hinge", "cross-entropy", "softmax-cross-entropy" })]
    [DataRow(PredictionTask.Regression, new[] { "l1", "l2", "huber" })]
    public void NamesForListsTheLossesThatFitTheTask(PredictionTask task, string[] expected) =>
        CollectionAssert.AreEqual(expected, LossRegistry.NamesFor(task).ToArray());

    [TestMethod]
    [DataRow(PredictionTask.BinaryClassification, "sigmoid-cross-entropy")]
    [DataRow(PredictionTask.MulticlassClassification, "softmax-cross-entropy")]
    [DataRow(PredictionTask.Regression, "l2")]
    public void DefaultForPicksTheUsualLoss(PredictionTask task, string expected)
    {
        var loss = LossRegistry.DefaultFor(task);
        Assert.AreEqual(expected, loss.Name);
        Assert.IsTrue(loss.Supports(task));
    }

    [TestMethod]
    [DataRow("hinge", PredictionTask.Regression, "Loss 'hinge' does not fit regression: it needs class labels. Losses for regression: l1, l2, huber.")]
    [DataRow("cross-entropy", PredictionTask.Regression, "Loss 'cross-entropy' does not fit regression: it needs class labels. Losses for regression: l1, l2, huber.")]
    [DataRow("softmax-cross-entropy", PredictionTask.BinaryClassification,
        "Loss 'softmax-cross-entropy' does not fit binary classification: it fits multiclass classification only. Losses for binary classification: hinge, cross-entropy, sigmoid-cross-entropy.")]
    [DataRow("sigmoid-cross-entropy", PredictionTask.MulticlassClassification,
        "Loss 'sigmoid-cross-entropy' does not fit multiclass classification: it fits binary classification only. Losses for multiclass classification: hinge, cross-entropy, softmax-cross-entropy.")]
    [DataRow("l1", PredictionTask.BinaryClassification,
        "Loss 'l1' does not fit binary classification: it needs numeric targets, not class labels. Losses for binary classification: hinge, cross-entropy, sigmoid-cross-entropy.")]
    [DataRow("huber", PredictionTask.MulticlassClassification,
        "Loss 'huber' does not fit multiclass classification: it needs numeric targets, not class labels. Losses for multiclass classification: hinge, cross-entropy, softmax-cross-entropy.")]
    public void LossesRefuseTasksTheyDoNotFit(string spec, PredictionTask task, string message)
    {
        using var scope = torch.NewDisposeScope();
        var loss = LossRegistry.Get(spec);
        Assert.IsFalse(loss.Supports(task));

        var refused = Assert.ThrowsExactly<ArgumentException>(() => loss.EnsureSupports(task));
        StringAssert.StartsWith(refused.Message, message);
        Assert.AreEqual("task", refused.ParamName);

        var output = task == PredictionTask.MulticlassClassification ? torch.zeros(2, 3) : torch.zeros(2);
        var target = task == PredictionTask.MulticlassClassification ? torch.zeros(2, dtype: ScalarType.Int64) : torch.zeros(2);
        var computed = Assert.ThrowsExactly<ArgumentException>(() => loss.Compute(output, target, task));
        Assert.AreEqual(refused.Message, computed.Message);
    }

    [TestMethod]
    [DataRow("huber:delta=-1", "Delta must be positive, got -1.")]
    [DataRow("huber:delta=0", "Delta must be positive, got 0.")]
    [DataRow("softmax-cross-entropy:label-smoothing=1", "LabelSmoothing must be in [0, 1), got 1.")]
    [DataRow("softmax-cross-entropy:label-smoothing=-0.1", "LabelSmoothing must be in [0, 1), got -0.1.")]
    public void InvalidHyperparametersAreRefused(string spec, string message)
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => LossRegistry.Get(spec));
        StringAssert.StartsWith(error.Message, message);
    }

    [TestMethod]
    public void ConstructorsCheckLikeTheRegistry()
    {
        Assert.AreEqual("delta", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new HuberLoss(double.NaN)).ParamName);
        Assert.AreEqual("labelSmoothing", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SoftmaxCrossEntropyLoss(1.5)).ParamName);
        Assert.AreEqual(1.0, new HuberLoss().Delta);
        Assert.AreEqual(0.0, new SoftmaxCrossEntropyLoss().LabelSmoothing);
    }
}
