namespace Microsoft.ML.DeepExtensions.Tests.Cli;

/// <summary>Bad input ends with a non-zero exit code and one clear line on stderr: no stack trace, nothing on stdout.</summary>
[TestClass]
public sealed class CliErrorTests
{
    private static TempFolder _folder = null!;

    [ClassInitialize]
    public static void CreateFolder(TestContext _) => _folder = new TempFolder();

    [ClassCleanup]
    public static void Cleanup() => _folder.Dispose();

    private static CliResult Train(string task, string data, string label, params string[] extra) =>
        CliRunner.Run(new[] { "train", "--task", task, "--data", data, "--label", label, "--epochs", "2", "--out", _folder.File($"{Guid.NewGuid():N}.zip") }
            .Concat(extra).ToArray());

    private static void AssertFails(CliResult result, int exitCode, string expected)
    {
        Assert.AreEqual(exitCode, result.ExitCode, result.ToString());
        Assert.AreEqual("", result.Stdout, "nothing on stdout");
        Assert.AreEqual(1, result.StderrLines.Length, $"one line on stderr:\n{result.Stderr}");
        StringAssert.StartsWith(result.StderrLines[0], "deepext: ");
        StringAssert.Contains(result.StderrLines[0], expected);
        Assert.IsFalse(result.Stderr.Contains("   at ", StringComparison.Ordinal), "no stack trace");
        Assert.AreEqual(0, Directory.GetFiles(_folder.Path, "*.zip").Length + Directory.GetFiles(_folder.Path, "*.tmp").Length, "no model written");
    }

    [TestMethod]
    public void MissingDataFile() =>
        AssertFails(Train("binary", _folder.File("x.csv"), "diagnosis"), 1, "x.csv' not found");

    [TestMethod]
    public void MissingLabelColumn() =>
        AssertFails(Train("binary", CliRunner.Sample("breast-cancer-train.csv"), "outcome"), 1, "no label column 'outcome'");

    [TestMethod]
    public void EmptyFile() =>
        AssertFails(Train("binary", _folder.Write("empty.csv", ""), "a"), 1, "is empty");

    [TestMethod]
    public void HeaderOnlyFile() =>
        AssertFails(Train("binary", _folder.Write("header.csv", "a,b,label\n"), "label"), 1, "no data rows");

    [TestMethod]
    public void RowWithTheWrongNumberOfFields() =>
        AssertFails(Train("binary", _folder.Write("ragged.csv", "a,b,label\n1,2,yes\n3,no\n"), "label"), 1, "line 3 has 2 fields, the header has 3");

    [TestMethod]
    public void UnknownOptimizerListsTheValidOnes()
    {
        var result = Train("binary", CliRunner.Sample("breast-cancer-train.csv"), "diagnosis", "--optimizer", "foo");
        AssertFails(result, 2, "Unknown optimizer 'foo'");
        StringAssert.Contains(result.Stderr, "adam");
    }

    [TestMethod]
    public void NonNumericValueInANumericFeatureIsRefused()
    {
        var rows = string.Join("\n", Enumerable.Range(0, 20).Select(i => $"{i * 0.5},{(i == 7 ? "abc" : (i % 5).ToString())},{(i % 2 == 0 ? "yes" : "no")}"));
        AssertFails(Train("binary", _folder.Write("typo.csv", "a,b,label\n" + rows + "\n"), "label"), 1, "line 9: column 'b' is numeric but has 'abc'");
    }

    [TestMethod]
    public void UnknownScheduleListsTheValidOnes()
    {
        var result = Train("binary", CliRunner.Sample("breast-cancer-train.csv"), "diagnosis", "--schedule", "linear");
        AssertFails(result, 2, "'linear'");
        StringAssert.Contains(result.Stderr, "reduce-on-plateau");
    }

    [TestMethod]
    public void IgnoreNamingAnUnknownColumnIsRefused() =>
        AssertFails(Train("binary", CliRunner.Sample("breast-cancer-train.csv"), "diagnosis", "--ignore", "mean_radius,patient"), 2, "--ignore names 'patient'");

    [TestMethod]
    public void UnknownTask() =>
        AssertFails(Train("clustering", CliRunner.Sample("wine-train.csv"), "cultivar"), 2, "--task 'clustering' is not valid");

    [TestMethod]
    public void UnknownOption() =>
        AssertFails(Train("binary", CliRunner.Sample("breast-cancer-train.csv"), "diagnosis", "--layers", "3"), 2, "unknown option '--layers'");

    [TestMethod]
    [DataRow("--seed", "one")]
    [DataRow("--batch-size", "0")]
    [DataRow("--hidden", "64,x")]
    [DataRow("--learning-rate", "-1")]
    [DataRow("--device", "tpu")]
    [DataRow("--activation", "swish")]
    [DataRow("--loss", "l3")]
    public void InvalidOptionValue(string option, string value) =>
        AssertFails(Train("binary", CliRunner.Sample("breast-cancer-train.csv"), "diagnosis", option, value), 2, $"'{value}'");

    [TestMethod]
    public void NonPositiveEpochs() =>
        AssertFails(CliRunner.Run("train", "--task", "binary", "--data", CliRunner.Sample("breast-cancer-train.csv"), "--label", "diagnosis",
            "--epochs", "0", "--out", _folder.File("m.zip")), 2, "--epochs '0' is not valid");

    [TestMethod]
    public void LossThatDoesNotFitTheTask() =>
        AssertFails(Train("binary", CliRunner.Sample("breast-cancer-train.csv"), "diagnosis", "--loss", "l2"), 2, "l2");

    [TestMethod]
    public void MissingRequiredOption() =>
        AssertFails(CliRunner.Run("train", "--task", "binary", "--data", CliRunner.Sample("breast-cancer-train.csv"), "--label", "diagnosis"), 2, "--out FILE is required");

    [TestMethod]
    public void NonNumericRegressionLabel() =>
        AssertFails(Train("regression", CliRunner.Sample("breast-cancer-train.csv"), "diagnosis"), 1, "has 'malignant', but --task regression needs a finite number");

    [TestMethod]
    public void BinaryTaskWithThreeClasses() =>
        AssertFails(Train("binary", CliRunner.Sample("wine-train.csv"), "cultivar"), 1, "use --task multiclass");

    [TestMethod]
    public void TestFileWithoutTheTrainingColumns() =>
        AssertFails(Train("binary", CliRunner.Sample("breast-cancer-train.csv"), "diagnosis", "--test", CliRunner.Sample("wine-test.csv")), 1, "feature columns");

    [TestMethod]
    public void UnclosedQuote() =>
        AssertFails(Train("binary", _folder.Write("quote.csv", "a,label\n\"1,yes\n"), "label"), 1, "line 2: a quoted field is not closed");

    [TestMethod]
    public void MissingModelFile() =>
        AssertFails(CliRunner.Run("evaluate", "--model", _folder.File("none.zip"), "--data", CliRunner.Sample("wine-test.csv")), 1, "none.zip' not found");

    [TestMethod]
    public void UnknownCommand() =>
        AssertFails(CliRunner.Run("fit"), 2, "unknown command 'fit'");

    [TestMethod]
    public void HelpGoesToStdout()
    {
        foreach (var args in new[] { new[] { "--help" }, new[] { "train", "--help" }, new[] { "evaluate", "-h" }, new[] { "help", "predict" } })
        {
            var result = CliRunner.Run(args);
            Assert.AreEqual(0, result.ExitCode, result.ToString());
            StringAssert.StartsWith(result.Stdout, "Usage: deepext");
            Assert.AreEqual("", result.Stderr);
        }
    }
}
