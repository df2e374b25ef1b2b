using DeepExtensions.Cli.Commands;
using Microsoft.ML.DeepExtensions.Vision.Haar;

namespace Microsoft.ML.DeepExtensions.Tests.Cli;

/// <summary><c>deepext haar-sample</c> and <c>deepext train --task haar-cascade</c>, in-process, on a tiny generated set.</summary>
[TestClass]
public sealed class HaarTrainCommandTests
{
    private static string _directory = null!;

    [ClassInitialize]
    public static void WriteSample(TestContext _)
    {
        _directory = Directory.CreateTempSubdirectory("haar-cli-").FullName;
        var result = CliRunner.Run("haar-sample", "--out", _directory, "--positives", "120", "--negatives", "15", "--scenes", "6", "--window", "10");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        if (_directory is not null && Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }

    [TestMethod]
    public void SampleHasPositivesNegativesAndBoxes()
    {
        Assert.AreEqual(120, Directory.GetFiles(Path.Combine(_directory, "positives"), "*.png").Length);
        Assert.AreEqual(15, Directory.GetFiles(Path.Combine(_directory, "negatives"), "*.png").Length);
        Assert.AreEqual(6, Directory.GetFiles(Path.Combine(_directory, "test"), "*.png").Length);
        var lines = File.ReadAllLines(Path.Combine(_directory, "test", "boxes.csv"));
        Assert.AreEqual("file,x,y,width,height", lines[0]);
        Assert.IsTrue(lines.Length >= 7, "Every scene has at least one disk.");
        var again = CliRunner.Run("haar-sample", "--out", _directory);
        Assert.AreEqual(ExitCodes.Usage, again.ExitCode);
        StringAssert.Contains(again.Stderr, "--force");
    }

    [TestMethod]
    public void TrainsAndWritesACascadeOpenCvLoads()
    {
        string xml = Path.Combine(_directory, "disk.xml");
        var result = Train(xml, "--stages", "3", "--test", Path.Combine(_directory, "test"));
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        Assert.IsTrue(result.StderrLines.Any(l => l.StartsWith("deepext: stage 1/3: ")), result.Stderr);
        var summary = result.Metrics;
        Assert.AreEqual("haar-cascade", summary.GetProperty("Task").GetString());
        Assert.AreEqual("10x10", summary.GetProperty("Window").GetString());
        var cascade = HaarCascade.Load(xml);
        Assert.AreEqual(cascade.Stages.Count, summary.GetProperty("Stages").GetInt32());
        Assert.AreEqual(6, summary.GetProperty("TestImages").GetInt32());
        double hitRate = summary.GetProperty("TestHitRate").GetDouble();
        Assert.IsTrue(hitRate is >= 0 and <= 1, result.Stdout);
        using var opencv = new OpenCvSharp.CascadeClassifier(xml);
        Assert.IsFalse(opencv.Empty());
        Assert.AreEqual(new OpenCvSharp.Size(10, 10), opencv.GetOriginalWindowSize());

        var refused = Train(xml, "--stages", "1");
        Assert.AreEqual(ExitCodes.Usage, refused.ExitCode);
        StringAssert.Contains(refused.Stderr, "already exists (pass --force");
    }

    [TestMethod]
    [DataRow("--min-hit-rate", "1.5", "--min-hit-rate: MinHitRate must be in (0, 1], got 1.5.")]
    [DataRow("--min-hit-rate", "0", "--min-hit-rate: MinHitRate must be in (0, 1], got 0.")]
    [DataRow("--max-false-alarm", "1", "--max-false-alarm: MaxFalseAlarmRate must be in (0, 1), got 1.")]
    [DataRow("--window", "4x4", "--window: The window must be at least 6x6 pixels, got 4x4.")]
    [DataRow("--window", "24", "--window '24' is not valid: expected WxH")]
    [DataRow("--stages", "0", "--stages: StageCount must be at least 1, got 0.")]
    [DataRow("--mode", "tilted", "--mode 'tilted' is not valid: expected basic, core or all")]
    public void BadOptionsAreUsageErrors(string option, string value, string message)
    {
        var result = Train(Path.Combine(_directory, "unused.xml"), option, value);
        Assert.AreEqual(ExitCodes.Usage, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stderr, message);
        Assert.IsFalse(File.Exists(Path.Combine(_directory, "unused.xml")));
    }

    [TestMethod]
    public void FolderWithoutImagesAndTooSmallNegativesAreDataErrors()
    {
        string empty = Directory.CreateDirectory(Path.Combine(_directory, "empty")).FullName;
        var none = CliRunner.Run("train", "--task", "haar-cascade", "--positives", empty, "--negatives", Path.Combine(_directory, "negatives"),
            "--out", Path.Combine(_directory, "none.xml"));
        Assert.AreEqual(ExitCodes.Data, none.ExitCode, none.ToString());
        StringAssert.Contains(none.Stderr, "has no image files");

        // The positives are 10 to 20 pixels: as negatives, the smaller ones cannot hold a 24x24 window.
        var small = CliRunner.Run("train", "--task", "haar-cascade", "--positives", Path.Combine(_directory, "positives"),
            "--negatives", Path.Combine(_directory, "positives"), "--window", "24x24", "--out", Path.Combine(_directory, "small.xml"));
        Assert.AreEqual(ExitCodes.Data, small.ExitCode, small.ToString());
        StringAssert.Contains(small.Stderr, "smaller than the 24x24 window");
    }

    private static CliResult Train(string output, params string[] extra) =>
        CliRunner.Run(new[]
        {
            "train", "--task", "haar-cascade", "--positives", Path.Combine(_directory, "positives"),
            "--negatives", Path.Combine(_directory, "negatives"), "--out", output,
            "--negatives-per-stage", "100", "--max-weak", "10",
        }.Concat(extra.Contains("--window") ? extra : extra.Concat(["--window", "10x10"])).ToArray());
}
