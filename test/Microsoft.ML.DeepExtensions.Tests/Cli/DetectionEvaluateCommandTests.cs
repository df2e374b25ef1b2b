using System.Text.Json;

namespace Microsoft.ML.DeepExtensions.Tests.Cli;

[TestClass]
public sealed class DetectionEvaluateCommandTests
{
    private static readonly string[] StatNames = { "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl" };

    /// <summary>Writes the ground truth and results of a case of Evaluation/coco_reference_cases.json to files; returns its expected metrics.</summary>
    private static JsonElement WriteReferenceCase(TempFolder folder, string name, out string groundTruth, out string predictions)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Vision", "Evaluation", "coco_reference_cases.json");
        var c = JsonDocument.Parse(File.ReadAllText(path)).RootElement.EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        groundTruth = folder.Write("instances.json", c.GetProperty("ground_truth").GetRawText());
        predictions = folder.Write("results.json", c.GetProperty("results").GetRawText());
        return c.GetProperty("expected").Clone();
    }

    [TestMethod]
    public void PrintsASummaryThenTheCocoStatsAsJsonOnTheLastLine()
    {
        using var folder = new TempFolder();
        var expected = WriteReferenceCase(folder, "with-unannotated-class", out var groundTruth, out var predictions);

        var result = CliRunner.Run("evaluate", "--task", "detection", "--ground-truth", groundTruth, "--predictions", predictions);

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stdout, "Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = ");
        StringAssert.Contains(result.Stdout, "never-annotated");
        var json = result.Metrics;
        var keys = json.EnumerateObject().Select(p => p.Name).ToArray();
        CollectionAssert.AreEqual(StatNames, keys.SkipWhile(k => k != "AP").Take(12).ToArray(), "pycocotools' stats order");
        var stats = expected.GetProperty("stats").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        for (int i = 0; i < StatNames.Length; i++)
            Assert.AreEqual(stats[i], json.GetProperty(StatNames[i]).GetDouble(), 1e-12, StatNames[i]);
        var perClass = json.GetProperty("PerClassAP");
        foreach (var expectedClass in expected.GetProperty("per_class_ap").EnumerateObject())
            Assert.AreEqual(expectedClass.Value.GetDouble(), perClass.GetProperty(expectedClass.Name).GetDouble(), 1e-12, expectedClass.Name);
        Assert.AreEqual(-1, perClass.GetProperty("never-annotated").GetDouble());
        Assert.AreEqual(expected.GetProperty("voc_ap50").GetDouble(), json.GetProperty("VocAP50").GetDouble(), 1e-12);
    }

    [TestMethod]
    public void TaskEqualsSyntaxAndHelpWork()
    {
        using var folder = new TempFolder();
        WriteReferenceCase(folder, "many-crowds", out var groundTruth, out var predictions);

        var result = CliRunner.Run("evaluate", "--task=detection", "--ground-truth", groundTruth, "--predictions", predictions);
        var help = CliRunner.Run("evaluate", "--task", "detection", "--help");

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        Assert.IsTrue(result.Metrics.GetProperty("AP").GetDouble() > 0);
        Assert.AreEqual(0, help.ExitCode, help.ToString());
        StringAssert.Contains(help.Stdout, "--ground-truth FILE");
    }

    [TestMethod]
    public void UsageErrorsExitTwo()
    {
        var missing = CliRunner.Run("evaluate", "--task", "detection", "--ground-truth", "gt.json");
        var badTask = CliRunner.Run("evaluate", "--task", "keypoints", "--ground-truth", "gt.json", "--predictions", "p.json");
        var noValue = CliRunner.Run("evaluate", "--ground-truth", "gt.json", "--task");

        Assert.AreEqual(2, missing.ExitCode, missing.ToString());
        StringAssert.Contains(missing.Stderr, "--predictions FILE is required");
        Assert.AreEqual(2, badTask.ExitCode, badTask.ToString());
        StringAssert.Contains(badTask.Stderr, "--task takes 'detection', 'segmentation' or 'semantic-segmentation' (a tabular model's task is read from --model), got 'keypoints'");
        Assert.AreEqual(2, noValue.ExitCode, noValue.ToString());
    }

    [TestMethod]
    public void DataErrorsExitOneNamingTheFileAndField()
    {
        using var folder = new TempFolder();
        WriteReferenceCase(folder, "many-crowds", out var groundTruth, out _);
        var badResults = folder.Write("bad.json", """[{"image_id":1000,"category_id":10,"bbox":[1,2,3],"score":0.5}]""");
        var otherImage = folder.Write("other.json", """[{"image_id":5,"category_id":10,"bbox":[1,2,3,4],"score":0.5}]""");

        var notFound = CliRunner.Run("evaluate", "--task", "detection", "--ground-truth", folder.File("none.json"), "--predictions", badResults);
        var malformed = CliRunner.Run("evaluate", "--task", "detection", "--ground-truth", groundTruth, "--predictions", badResults);
        var unknownImage = CliRunner.Run("evaluate", "--task", "detection", "--ground-truth", groundTruth, "--predictions", otherImage);

        Assert.AreEqual(1, notFound.ExitCode, notFound.ToString());
        StringAssert.Contains(notFound.Stderr, "--ground-truth " + folder.File("none.json") + ": file not found");
        Assert.AreEqual(1, malformed.ExitCode, malformed.ToString());
        StringAssert.Contains(malformed.Stderr, "bad.json': [0].bbox must hold 4 numbers");
        Assert.AreEqual(1, unknownImage.ExitCode, unknownImage.ToString());
        StringAssert.Contains(unknownImage.Stderr, "names image_id 5, which is not an image of the ground truth");
        Assert.AreEqual("", malformed.Stdout, "no partial results on stdout");
    }
}
