using Microsoft.ML.DeepExtensions.Tests.Vision.Classification;

namespace Microsoft.ML.DeepExtensions.Tests.Cli;

[TestClass]
public sealed class ImageClassificationCliTests
{
    private static string Subset => CliRunner.Sample("fashion-mnist-subset");

    [TestMethod]
    public void TrainsOnAnIdxFolderThenEvaluateAndPredictAgree()
    {
        using var folder = new TempFolder();
        string model = folder.File("fm.zip");
        var train = CliRunner.Run("train", "--task", "image-classification", "--data", Subset, "--out", model, "--epochs", "1", "--seed", "3");
        Assert.AreEqual(0, train.ExitCode, train.ToString());
        var metrics = train.Metrics;
        Assert.AreEqual("image-classification", metrics.GetProperty("Task").GetString());
        Assert.AreEqual(800, metrics.GetProperty("Rows").GetInt32());
        double accuracy = metrics.GetProperty("MicroAccuracy").GetDouble();
        Assert.IsTrue(accuracy > 0.3, $"test accuracy after one epoch: {accuracy}");
        Assert.IsTrue(train.StderrLines.Any(l => l.StartsWith("epoch 1/1", StringComparison.Ordinal) && l.Contains("images/s")), train.Stderr);
        foreach (var chart in new[] { folder.File("fm.curves.png"), folder.File("fm.confusion.png") })
        {
            using var bitmap = SkiaSharp.SKBitmap.Decode(chart);
            Assert.IsNotNull(bitmap, $"{chart} is not a PNG the chart writer made");
        }

        // evaluate reads the IDX folder's t10k files, as train did, and prints the same numbers.
        var evaluate = CliRunner.Run("evaluate", "--model", model, "--data", Subset);
        Assert.AreEqual(0, evaluate.ExitCode, evaluate.ToString());
        Assert.AreEqual(train.StdoutLines[^1], evaluate.StdoutLines[^1]);

        var predictions = folder.File("predictions.csv");
        var predict = CliRunner.Run("predict", "--model", model, "--data", Subset, "--out", predictions);
        Assert.AreEqual(0, predict.ExitCode, predict.ToString());
        var lines = File.ReadAllLines(predictions);
        Assert.AreEqual(801, lines.Length);
        StringAssert.StartsWith(lines[0], "Index,PredictedLabel,Score_T-shirt/top,Score_Trouser");
    }

    [TestMethod]
    public void TrainsOnAFolderOfClassFoldersAndPredictsUnlabelledImages()
    {
        using var folder = new TempFolder();
        string images = folder.File("images");
        foreach (var (row, i) in SyntheticImages.Images(90, seed: 1).Select((r, i) => (r, i)))
        {
            string classFolder = Path.Combine(images, row.Label);
            Directory.CreateDirectory(classFolder);
            row.Image!.Save(Path.Combine(classFolder, $"{i:D3}.png"));
        }
        string model = folder.File("shapes.zip");
        var train = CliRunner.Run("train", "--task", "image-classification", "--data", images, "--out", model,
            "--epochs", "6", "--image-size", "12x12", "--channels", "1", "--batch-size", "16");
        Assert.AreEqual(0, train.ExitCode, train.ToString());
        Assert.IsTrue(train.Metrics.GetProperty("MicroAccuracy").GetDouble() > 0.8, train.Stdout);

        var predict = CliRunner.Run("predict", "--model", model, "--data", Path.Combine(images, "square"));
        Assert.AreEqual(0, predict.ExitCode, predict.ToString());
        var rows = predict.StdoutLines.Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.AreEqual(30, rows.Length);
        Assert.IsTrue(rows.Count(r => r[1] == "square") > 20, predict.Stdout);
    }

    [TestMethod]
    public void BadArgumentsAndDataGiveOneLineErrors()
    {
        using var folder = new TempFolder();
        var unknownArch = CliRunner.Run("train", "--task", "image-classification", "--data", Subset, "--out", folder.File("m.zip"), "--arch", "resnet19");
        Assert.AreEqual(2, unknownArch.ExitCode, unknownArch.ToString());
        StringAssert.Contains(unknownArch.Stderr, "resnet18");

        var missing = CliRunner.Run("train", "--task", "image-classification", "--data", folder.File("nowhere"), "--out", folder.File("m.zip"));
        Assert.AreEqual(1, missing.ExitCode, missing.ToString());
        StringAssert.Contains(missing.Stderr, "nowhere");

        string single = folder.File("single");
        Directory.CreateDirectory(Path.Combine(single, "only"));
        SyntheticImages.Images(1, seed: 1)[0].Image!.Save(Path.Combine(single, "only", "a.png"));
        var oneClass = CliRunner.Run("train", "--task", "image-classification", "--data", single, "--out", folder.File("m.zip"));
        Assert.AreEqual(1, oneClass.ExitCode, oneClass.ToString());
        StringAssert.Contains(oneClass.Stderr, "at least 2");

        var size = CliRunner.Run("train", "--task", "image-classification", "--data", Subset, "--out", folder.File("m.zip"), "--image-size", "0x4");
        Assert.AreEqual(2, size.ExitCode, size.ToString());
        Assert.IsFalse(File.Exists(folder.File("m.zip")));
    }
}
