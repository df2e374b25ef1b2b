using System.Globalization;

namespace Microsoft.ML.DeepExtensions.Tests.Cli;

[TestClass]
public sealed class PredictCommandTests
{
    private static TempFolder _folder = null!;
    private static readonly Dictionary<string, string> Models = new();

    [ClassInitialize]
    public static void TrainOneModelPerTask(TestContext _)
    {
        _folder = new TempFolder();
        foreach (var task in CliRunner.Sets.Keys)
        {
            Models[task] = _folder.File($"{task}.zip");
            var result = CliRunner.Run(CliRunner.TrainArgs(task, Models[task]));
            Assert.AreEqual(0, result.ExitCode, result.ToString());
        }
    }

    [ClassCleanup]
    public static void Cleanup() => _folder.Dispose();

    private static string[][] ReadCsv(string path) =>
        File.ReadAllLines(path).Select(l => l.Split(',')).ToArray();

    [TestMethod]
    public void BinaryPredictionsAreTheInputColumnsPlusLabelProbabilityAndScore()
    {
        var output = _folder.File("binary-predictions.csv");
        var input = CliRunner.Sample("breast-cancer-test.csv");

        var result = CliRunner.Run("predict", "--model", Models["binary"], "--data", input, "--out", output);

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        Assert.AreEqual("", result.Stdout);
        var rows = ReadCsv(output);
        var inputHeader = File.ReadLines(input).First().Split(',');
        CollectionAssert.AreEqual(inputHeader.Concat(new[] { "PredictedLabel", "Probability", "Score" }).ToArray(), rows[0]);
        Assert.AreEqual(File.ReadLines(input).Count(), rows.Length);
        int n = inputHeader.Length;
        foreach (var row in rows.Skip(1))
        {
            Assert.IsTrue(row[n] is "malignant" or "benign", row[n]);
            float probability = float.Parse(row[n + 1], CultureInfo.InvariantCulture);
            float score = float.Parse(row[n + 2], CultureInfo.InvariantCulture);
            Assert.IsTrue(probability is >= 0 and <= 1);
            Assert.AreEqual(score > 0, row[n] == "malignant", "the positive class is predicted for a positive score");
        }
        double agreement = rows.Skip(1).Average(r => r[n - 1] == r[n] ? 1.0 : 0.0);
        Assert.IsTrue(agreement > 0.9, $"predictions agree with the labels: {agreement}");
    }

    [TestMethod]
    public void MulticlassPredictionsShowTheClassAndOneScorePerClass()
    {
        var output = _folder.File("multiclass-predictions.csv");

        var result = CliRunner.Run("predict", "--model", Models["multiclass"], "--data", CliRunner.Sample("wine-test.csv"), "--out", output);

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var rows = ReadCsv(output);
        CollectionAssert.AreEqual(new[] { "cultivar", "PredictedLabel", "Score_cultivar_1", "Score_cultivar_2", "Score_cultivar_3" }, rows[0][^5..]);
        foreach (var row in rows.Skip(1))
        {
            var scores = row[^3..].Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            Assert.AreEqual(1.0, scores.Sum(), 1e-4);
            Assert.AreEqual($"cultivar_{Array.IndexOf(scores, scores.Max()) + 1}", row[^4], "the predicted class has the highest score");
        }
    }

    [TestMethod]
    public void RegressionPredictionsNeedNoLabelColumnAndGoToStdoutWithoutOut()
    {
        var withoutLabel = _folder.Write("diabetes-rows.csv",
            string.Join("\n", File.ReadLines(CliRunner.Sample("diabetes-test.csv")).Select(l => l[..l.LastIndexOf(',')])) + "\n");

        var result = CliRunner.Run("predict", "--model", Models["regression"], "--data", withoutLabel);

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var lines = result.StdoutLines;
        Assert.AreEqual("age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,Score", lines[0]);
        Assert.AreEqual(90, lines.Length);
        Assert.IsTrue(lines.Skip(1).All(l => float.IsFinite(float.Parse(l.Split(',')[^1], CultureInfo.InvariantCulture))));
    }

    [TestMethod]
    public void ExistingOutIsNotOverwrittenWithoutForce()
    {
        var output = _folder.Write("existing.csv", "keep me");

        var result = CliRunner.Run("predict", "--model", Models["regression"], "--data", CliRunner.Sample("diabetes-test.csv"), "--out", output);

        Assert.AreEqual(2, result.ExitCode, result.ToString());
        Assert.AreEqual("keep me", File.ReadAllText(output));
        Assert.AreEqual(1, result.StderrLines.Length, result.Stderr);

        var forced = CliRunner.Run("predict", "--model", Models["regression"], "--data", CliRunner.Sample("diabetes-test.csv"), "--out", output, "--force");
        Assert.AreEqual(0, forced.ExitCode, forced.ToString());
        StringAssert.StartsWith(File.ReadAllText(output), "age,sex,bmi");
    }

    [TestMethod]
    public void AMissingFeatureColumnIsADataError()
    {
        var data = _folder.Write("no-bmi.csv", "age,sex,bp,s1,s2,s3,s4,s5,s6\n50,1,90,200,100,50,4,4.5,90\n");

        var result = CliRunner.Run("predict", "--model", Models["regression"], "--data", data);

        Assert.AreEqual(1, result.ExitCode, result.ToString());
        Assert.AreEqual(1, result.StderrLines.Length, result.Stderr);
        StringAssert.Contains(result.Stderr, "'bmi'");
    }
}
