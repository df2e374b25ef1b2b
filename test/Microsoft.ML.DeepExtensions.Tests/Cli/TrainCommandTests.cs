namespace Microsoft.ML.DeepExtensions.Tests.Cli;

[TestClass]
public sealed class TrainCommandTests
{
    private static readonly Dictionary<string, string[]> MetricNames = new()
    {
        ["binary"] = new[] { "Accuracy", "AreaUnderRocCurve", "F1Score", "LogLoss", "PositivePrecision", "PositiveRecall" },
        ["multiclass"] = new[] { "MicroAccuracy", "MacroAccuracy", "LogLoss", "LogLossReduction" },
        ["regression"] = new[] { "RSquared", "MeanAbsoluteError", "RootMeanSquaredError", "MeanSquaredError" },
    };

    [TestMethod]
    [DataRow("binary", 114)]
    [DataRow("multiclass", 36)]
    [DataRow("regression", 89)]
    public void TrainPrintsTheTestMetricsAsOneJsonObjectOnTheLastStdoutLine(string task, int testRows)
    {
        using var folder = new TempFolder();
        var model = folder.File("model.zip");

        var result = CliRunner.Run(CliRunner.TrainArgs(task, model));

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        Assert.IsTrue(File.Exists(model), "the model is saved");
        Assert.AreEqual(0, Directory.GetFiles(folder.Path, "*.tmp").Length, "no temporary file is left");
        var metrics = result.Metrics;
        Assert.AreEqual(task, metrics.GetProperty("Task").GetString());
        Assert.AreEqual(testRows, metrics.GetProperty("Rows").GetInt32());
        foreach (var name in MetricNames[task])
            Assert.IsTrue(metrics.TryGetProperty(name, out _), $"{name} in {result.StdoutLines[^1]}");
        Assert.AreEqual(1, result.StdoutLines.Length, "stdout holds the results only");
        Assert.AreEqual(5, result.StderrLines.Count(l => l.StartsWith("epoch ", StringComparison.Ordinal)), "one progress line per epoch on stderr");
    }

    [TestMethod]
    public void BinaryMetricsAreUsefulAfterAFewEpochs()
    {
        using var folder = new TempFolder();
        var result = CliRunner.Run(CliRunner.TrainArgs("binary", folder.File("model.zip")));

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        Assert.IsTrue(result.Metrics.GetProperty("Accuracy").GetDouble() > 0.9, result.StdoutLines[^1]);
        StringAssert.Contains(result.Stderr, "'malignant' is the positive class");
    }

    [TestMethod]
    public void WithoutTestDataTheMetricsAreForTheTrainingData()
    {
        using var folder = new TempFolder();
        var result = CliRunner.Run("train", "--task", "multiclass", "--data", CliRunner.Sample("wine-train.csv"), "--label", "cultivar",
            "--epochs", "3", "--hidden", "16", "--batch-size", "all", "--optimizer", "sgd", "--learning-rate", "0.1", "--out", folder.File("m.zip"));

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        Assert.AreEqual(142, result.Metrics.GetProperty("Rows").GetInt32());
        StringAssert.Contains(result.Stderr, "metrics on the training data");
    }

    [TestMethod]
    public void ValidationDataIsReportedEveryEpoch()
    {
        using var folder = new TempFolder();
        var result = CliRunner.Run(CliRunner.TrainArgs("binary", folder.File("m.zip"), "--validation", CliRunner.Sample("breast-cancer-test.csv")));

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var epochLine = result.StderrLines.First(l => l.StartsWith("epoch 1/5", StringComparison.Ordinal));
        StringAssert.Contains(epochLine, "validation loss");
        StringAssert.Contains(epochLine, "validation accuracy");
    }

    [TestMethod]
    public void TextColumnsAreOneHotEncodedAndMissingNumbersAreImputed()
    {
        using var folder = new TempFolder();
        var data = folder.Write("shop.csv",
            "color,size,weight,bought\n" +
            "red,1.5,10,yes\nblue,2.5,,no\ngreen,,12,yes\nred,1.7,11,yes\n" +
            "blue,2.9,20,no\n\"green, light\",3.1,21,no\nred,1.2,9,yes\nblue,2.2,19,no\n");
        var model = folder.File("shop.zip");

        var train = CliRunner.Run("train", "--task", "binary", "--data", data, "--label", "bought", "--epochs", "5", "--out", model);
        Assert.AreEqual(0, train.ExitCode, train.ToString());
        StringAssert.Contains(train.Stderr, "one-hot");
        StringAssert.Contains(train.Stderr, "'yes' is the positive class");

        // An unseen category and a missing number still score.
        var rows = folder.Write("rows.csv", "color,size,weight\nred,1.4,10\npurple,3,?\n");
        var predict = CliRunner.Run("predict", "--model", model, "--data", rows);
        Assert.AreEqual(0, predict.ExitCode, predict.ToString());
        Assert.AreEqual("color,size,weight,PredictedLabel,Probability,Score", predict.StdoutLines[0]);
        Assert.AreEqual(3, predict.StdoutLines.Length);
        Assert.IsTrue(predict.StdoutLines.Skip(1).All(l => l.Split(',')[3] is "yes" or "no"), predict.Stdout);
    }

    [TestMethod]
    public void ExistingOutIsOverwrittenOnlyWithForce()
    {
        using var folder = new TempFolder();
        var model = folder.Write("model.zip", "keep me");

        var refused = CliRunner.Run(CliRunner.TrainArgs("regression", model));

        Assert.AreEqual(2, refused.ExitCode, refused.ToString());
        Assert.AreEqual("keep me", File.ReadAllText(model), "the existing file is untouched");
        Assert.AreEqual(1, refused.StderrLines.Length, refused.Stderr);
        StringAssert.Contains(refused.Stderr, "--force");
        Assert.AreEqual("", refused.Stdout);

        var forced = CliRunner.Run(CliRunner.TrainArgs("regression", model, "--force"));
        Assert.AreEqual(0, forced.ExitCode, forced.ToString());
        Assert.AreNotEqual("keep me", File.ReadAllText(model));
    }

    [TestMethod]
    public void CancellationStopsTrainingAndWritesNoModel()
    {
        using var folder = new TempFolder();
        var model = folder.File("model.zip");

        var result = CliRunner.Run(new CancellationToken(canceled: true), CliRunner.TrainArgs("binary", model));

        Assert.AreEqual(130, result.ExitCode, result.ToString());
        Assert.IsFalse(File.Exists(model));
        Assert.AreEqual(0, Directory.GetFiles(folder.Path).Length, "no temporary file is left");
        StringAssert.Contains(result.Stderr, "cancelled");
    }

    [TestMethod]
    public void TheSameSeedTrainsTheSameModel()
    {
        using var folder = new TempFolder();
        var first = CliRunner.Run(CliRunner.TrainArgs("multiclass", folder.File("a.zip")));
        var second = CliRunner.Run(CliRunner.TrainArgs("multiclass", folder.File("b.zip")));

        Assert.AreEqual(0, first.ExitCode, first.ToString());
        Assert.AreEqual(first.StdoutLines[^1], second.StdoutLines[^1]);
    }

    [TestMethod]
    public void IdentifierLikeTextColumnsAreLeftOutUnlessIgnoreSaysOtherwise()
    {
        var random = new Random(5);
        var rows = Enumerable.Range(0, 60).Select(i =>
        {
            double x = random.NextDouble();
            return $"id-{i},{(i % 2 == 0 ? "red" : "blue")},{x:F3},{(x > 0.5 ? "yes" : "no")}";
        });
        using var folder = new TempFolder(); // models written here: _folder must stay free of them
        var data = folder.Write("ids.csv", "id,colour,x,label\n" + string.Join("\n", rows) + "\n");
        CliResult Run(params string[] extra) => CliRunner.Run(new[] { "train", "--task", "binary", "--data", data, "--label", "label", "--epochs", "2", "--out", folder.File($"{Guid.NewGuid():N}.zip") }.Concat(extra).ToArray());

        var auto = Run();
        Assert.AreEqual(0, auto.ExitCode, auto.ToString());
        StringAssert.Contains(auto.Stderr, "leaving out text column 'id': 60 distinct values in 60 rows");
        StringAssert.Contains(auto.Stderr, "3 features");

        var chosen = Run("--ignore", "colour");
        Assert.AreEqual(0, chosen.ExitCode, chosen.ToString());
        Assert.IsFalse(chosen.Stderr.Contains("leaving out", StringComparison.Ordinal), chosen.Stderr);
        StringAssert.Contains(chosen.Stderr, "61 features"); // x + 60 one-hot ids: --ignore overrides the guess
    }
}
