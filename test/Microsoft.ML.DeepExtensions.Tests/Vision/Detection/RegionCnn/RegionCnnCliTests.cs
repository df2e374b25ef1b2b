using System.Text.Json;
using Microsoft.ML.DeepExtensions.Tests.Cli;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Training;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.RegionCnn;

/// <summary>
/// <c>deepext train --task object-detection --arch rcnn</c> on generated shapes in COCO layout: the same data options and
/// final JSON as the other detectors, the stages reported as notes, and the saved model through <c>evaluate</c> and
/// <c>detect</c>; R-CNN's own options are refused for other architectures and bad values named.
/// </summary>
[TestClass]
public sealed class RegionCnnCliTests
{
    [TestMethod]
    public void TrainsEvaluatesAndDetectsWithTheSharedDetectionOptions()
    {
        using var data = SyntheticDetectionData.Create(10, seed: 6, width: 64, height: 64, minSide: 14, maxSide: 30);
        using var folder = new TempFolder();
        var coco = Path.Combine(data.Folder, "instances.json");
        data.Dataset.WriteCoco(coco);
        var model = folder.File("rcnn.zip");
        var train = CliRunner.Run("train", "--task", "object-detection", "--arch", "rcnn", "--data", coco, "--image-size", "64", "--warp-size", "16",
            "--max-proposals", "100", "--proposals", "fast", "--epochs", "2", "--batch-size", "32", "--device", "cpu", "--out", model);
        Assert.AreEqual(0, train.ExitCode, train.ToString());
        Assert.IsTrue(File.Exists(model), "the model is written");
        Assert.AreEqual(10, train.Metrics.GetProperty("Images").GetInt32());
        Assert.IsTrue(train.Metrics.TryGetProperty("AP50", out _), train.StdoutLines[^1]);
        Assert.AreEqual(2, train.StderrLines.Count(l => l.StartsWith("epoch ", StringComparison.Ordinal)), train.Stderr);
        foreach (var stage in new[] { "Selective search (Fast)", "Fine-tuning small-cnn", "Region features:", "SVM round 1", "Box regression:" })
            Assert.IsTrue(train.StderrLines.Any(l => l.Contains(stage, StringComparison.Ordinal)), $"the stage '{stage}' is reported:\n{train.Stderr}");

        var evaluate = CliRunner.Run("evaluate", "--model", model, "--data", coco);
        Assert.AreEqual(0, evaluate.ExitCode, evaluate.ToString());
        Assert.AreEqual(train.Metrics.GetProperty("AP50").GetDouble(), evaluate.Metrics.GetProperty("AP50").GetDouble(), 1e-9);

        var output = folder.File("detections");
        var detect = CliRunner.Run("detect", "--model", model, "--image", data.Dataset.Images[0].Path, "--out", output);
        Assert.AreEqual(0, detect.ExitCode, detect.ToString());
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "detections.json")));
        Assert.AreEqual(1, json.RootElement.GetArrayLength());

        var proposals = CliRunner.Run("train", "--task", "object-detection", "--arch", "rcnn", "--proposals", "slow", "--data", coco, "--out", folder.File("x.zip"));
        Assert.AreEqual(2, proposals.ExitCode, proposals.ToString());
        StringAssert.Contains(proposals.Stderr, "--proposals 'slow' is not valid: expected fast or quality");
        var backbone = CliRunner.Run("train", "--task", "object-detection", "--arch", "rcnn", "--backbone", "resnet9", "--data", coco, "--out", folder.File("x.zip"));
        Assert.AreEqual(2, backbone.ExitCode, backbone.ToString());
        StringAssert.Contains(backbone.Stderr, "--backbone");
        var forYolo = CliRunner.Run("train", "--task", "object-detection", "--warp-size", "32", "--data", coco, "--out", folder.File("x.zip"));
        Assert.AreEqual(2, forYolo.ExitCode, forYolo.ToString());
        StringAssert.Contains(forYolo.Stderr, "--warp-size applies to --arch rcnn only");
    }
}
