using System.Diagnostics;

namespace Microsoft.ML.DeepExtensions.Tests.Cli;

[TestClass]
public sealed class EvaluateCommandTests
{
    private static TempFolder _folder = null!;
    private static readonly Dictionary<string, (string Model, string TrainJson)> Trained = new();

    [ClassInitialize]
    public static void TrainOneModelPerTask(TestContext _)
    {
        _folder = new TempFolder();
        foreach (var task in CliRunner.Sets.Keys)
        {
            var model = _folder.File($"{task}.zip");
            var result = CliRunner.Run(CliRunner.TrainArgs(task, model));
            Assert.AreEqual(0, result.ExitCode, result.ToString());
            Trained[task] = (model, result.StdoutLines[^1]);
        }
    }

    [ClassCleanup]
    public static void Cleanup() => _folder.Dispose();

    [TestMethod]
    [DataRow("binary")]
    [DataRow("multiclass")]
    [DataRow("regression")]
    public void EvaluateReproducesTrainsTestMetricsExactly(string task)
    {
        var (stem, label) = CliRunner.Sets[task];

        var result = CliRunner.Run("evaluate", "--model", Trained[task].Model, "--data", CliRunner.Sample($"{stem}-test.csv"), "--label", label);

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        Assert.AreEqual(Trained[task].TrainJson, result.StdoutLines[^1]);
        Assert.AreEqual(1, result.StdoutLines.Length, "stdout holds the results only");
    }

    [TestMethod]
    public void EvaluateInAFreshProcessReproducesTrainsTestMetricsExactly()
    {
        // The deepext executable that the test project's reference to the CLI copies next to the tests.
        var cli = Path.Combine(AppContext.BaseDirectory, "deepext.dll");
        if (!File.Exists(cli) || !File.Exists(Path.Combine(AppContext.BaseDirectory, "deepext.runtimeconfig.json")))
            Assert.Fail("deepext.dll and its runtimeconfig must be beside the tests (the test project references the CLI project).");

        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "exec", cli, "evaluate", "--model", Trained["binary"].Model, "--data", CliRunner.Sample("breast-cancer-test.csv") })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.IsTrue(process.WaitForExit(60_000), "deepext evaluate finished");

        Assert.AreEqual(0, process.ExitCode, stdout + stderr.Result);
        Assert.AreEqual(Trained["binary"].TrainJson, stdout.TrimEnd().Split('\n')[^1].TrimEnd('\r'));
    }

    [TestMethod]
    public void TheLabelColumnMayHaveAnotherNameInTheEvaluationData()
    {
        var renamed = _folder.Write("renamed.csv", File.ReadAllText(CliRunner.Sample("wine-test.csv")).Replace("cultivar\n", "truth\n", StringComparison.Ordinal));

        var result = CliRunner.Run("evaluate", "--model", Trained["multiclass"].Model, "--data", renamed, "--label", "truth");

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        Assert.AreEqual(Trained["multiclass"].TrainJson, result.StdoutLines[^1]);
    }

    [TestMethod]
    public void AnUnknownClassIsADataError()
    {
        var data = _folder.Write("unknown-class.csv", File.ReadAllText(CliRunner.Sample("wine-test.csv")).Replace(",cultivar_2\n", ",cultivar_9\n", StringComparison.Ordinal));

        var result = CliRunner.Run("evaluate", "--model", Trained["multiclass"].Model, "--data", data);

        Assert.AreEqual(1, result.ExitCode, result.ToString());
        Assert.AreEqual(1, result.StderrLines.Length, result.Stderr);
        StringAssert.Contains(result.Stderr, "'cultivar_9'");
    }

    [TestMethod]
    public void AFileThatIsNotAModelIsADataError()
    {
        var result = CliRunner.Run("evaluate", "--model", CliRunner.Sample("wine-test.csv"), "--data", CliRunner.Sample("wine-test.csv"));

        Assert.AreEqual(1, result.ExitCode, result.ToString());
        Assert.AreEqual(1, result.StderrLines.Length, result.Stderr);
    }
}
