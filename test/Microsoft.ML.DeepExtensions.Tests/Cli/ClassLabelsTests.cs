using DeepExtensions.Cli.Commands;
using DeepExtensions.Cli.Pipelines;

namespace Microsoft.ML.DeepExtensions.Tests.Cli;

[TestClass]
public sealed class ClassLabelsTests
{
    [TestMethod]
    [DataRow("benign", "malignant", "malignant")]
    [DataRow("malignant", "benign", "malignant")]
    [DataRow("true", "false", "true")]
    [DataRow("False", "TRUE", "TRUE")]
    [DataRow("yes", "no", "yes")]
    [DataRow("1", "0", "1")]
    [DataRow("0", "1", "1")]
    [DataRow("-1", "1", "1")]
    [DataRow("2", "10", "10")]
    [DataRow("churn", "Stay", "Stay")]
    public void TheRuleChoosesThePositiveClass(string first, string second, string positive)
    {
        var classes = ClassLabels.Binary(new[] { first, second }, "label", positive: null);
        Assert.AreEqual(positive, classes[1]);
        Assert.AreEqual(positive == first ? second : first, classes[0]);
    }

    [TestMethod]
    public void PositiveOverridesTheRule()
    {
        CollectionAssert.AreEqual(new[] { "malignant", "benign" }, ClassLabels.Binary(new[] { "benign", "malignant" }, "label", "benign").ToArray());
        var error = Assert.ThrowsExactly<CliException>(() => ClassLabels.Binary(new[] { "a", "b" }, "label", "c"));
        Assert.AreEqual(ExitCodes.Usage, error.ExitCode);
    }

    [TestMethod]
    public void MulticlassClassesAreSortedNumericallyWhenNumbers()
    {
        CollectionAssert.AreEqual(new[] { "2", "10", "100" }, ClassLabels.Multiclass(new[] { "10", "2", "100" }, "label").ToArray());
        CollectionAssert.AreEqual(new[] { "a", "B", "c" }, ClassLabels.Multiclass(new[] { "c", "a", "B" }, "label").ToArray());
    }
}
