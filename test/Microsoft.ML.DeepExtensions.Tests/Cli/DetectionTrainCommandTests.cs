using System.Text.Json;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Training;

namespace Microsoft.ML.DeepExtensions.Tests.Cli;

/// <summary>
/// <c>deepext train --task object-detection</c> on generated shapes in COCO layout, then the saved model through
/// <c>evaluate</c> and <c>detect</c>, and the data errors of the command: one line, a non-zero exit, nothing overwritten.
/// </summary>
[TestClass]
public sealed class DetectionTrainCommandTests
{
    private static SyntheticDetectionData _data = null!;
    private static TempFolder _folder = null!;
    private static string _coco = "";
    private static string _model = "";
    private static CliResult _train = null!;

    [ClassInitialize]
    public static void TrainOnce(TestContext context)
    {
        _data = SyntheticDetectionData.Create(24, seed: 5, width: 96, height: 80, minSide: 16, maxSide: 36);
        _folder = new TempFolder();
        _coco = Path.Combine(_data.Folder, "instances.json");
        _data.Dataset.WriteCoco(_coco);
        _model = _folder.File("shapes.zip");
        _train = CliRunner.Run("train", "--task", "object-detection", "--data", _coco, "--test", _coco, "--arch", "yolov3-tiny:width=0.25",
            "--image-size", "96", "--epochs", "2", "--batch-size", "8", "--out", _model);
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        _folder?.Dispose();
        _data?.Dispose();
    }

    [TestMethod]
    public void TrainsSavesAndPrintsTheCocoMetricsLast()
    {
        Assert.AreEqual(0, _train.ExitCode, _train.ToString());
        Assert.IsTrue(File.Exists(_model), "the model is written");
        Assert.IsTrue(File.Exists(Path.ChangeExtension(_model, ".curves.png")), "the curves chart is written beside it");
        var metrics = _train.Metrics;
        foreach (var key in new[] { "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl" })
            Assert.IsTrue(metrics.TryGetProperty(key, out _), $"the final JSON has {key}: {_train.StdoutLines[^1]}");
        Assert.AreEqual(24, metrics.GetProperty("Images").GetInt32());
        var epochs = _train.StderrLines.Where(l => l.StartsWith("epoch ", StringComparison.Ordinal)).ToArray();
        Assert.AreEqual(2, epochs.Length, _train.Stderr);
        StringAssert.Contains(_train.Stderr, "time limit: 14 minutes of training (--time-limit)", "YOLO's default budget");
        StringAssert.Contains(epochs[0], "box ");
        StringAssert.Contains(epochs[0], "objectness ");
        StringAssert.Contains(epochs[0], "class ");
    }

    [TestMethod]
    public void EvaluatePrintsWhatTrainPrintedForTheSameData()
    {
        var evaluate = CliRunner.Run("evaluate", "--model", _model, "--data", _coco);
        Assert.AreEqual(0, evaluate.ExitCode, evaluate.ToString());
        Assert.AreEqual(_train.Metrics.GetProperty("AP").GetDouble(), evaluate.Metrics.GetProperty("AP").GetDouble(), 1e-9);
        Assert.AreEqual(_train.Metrics.GetProperty("AP50").GetDouble(), evaluate.Metrics.GetProperty("AP50").GetDouble(), 1e-9);
    }

    [TestMethod]
    public void DetectRunsTheTrainedModelOnImages()
    {
        var output = _folder.File("detections");
        var detect = CliRunner.Run("detect", "--model", _model, "--image", _data.Dataset.Images[0].Path, "--out", output);
        Assert.AreEqual(0, detect.ExitCode, detect.ToString());
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "detections.json")));
        Assert.AreEqual(1, json.RootElement.GetArrayLength());
    }

    [TestMethod]
    public void AnExistingModelIsNotOverwrittenWithoutForce()
    {
        var before = File.GetLastWriteTimeUtc(_model);
        var again = CliRunner.Run("train", "--task", "object-detection", "--data", _coco, "--epochs", "1", "--out", _model);
        Assert.AreEqual(2, again.ExitCode, again.ToString());
        StringAssert.Contains(again.Stderr, "--force");
        Assert.AreEqual(before, File.GetLastWriteTimeUtc(_model));
    }

    [TestMethod]
    public void BadDataIsOneLineAndAFailingExitCode()
    {
        var json = File.ReadAllText(_coco);
        using var document = JsonDocument.Parse(json);
        var first = document.RootElement.GetProperty("annotations")[0];
        long id = first.GetProperty("id").GetInt64();
        // Move the first box far outside its image.
        var broken = _folder.File("broken.json");
        var text = json.Replace(first.GetProperty("bbox").GetRawText(), "[500, 500, 10, 10]");
        File.WriteAllText(broken, text);
        File.Copy(broken, Path.Combine(_data.Folder, "broken.json"), overwrite: true);
        var result = CliRunner.Run("train", "--task", "object-detection", "--data", Path.Combine(_data.Folder, "broken.json"), "--epochs", "1", "--out", _folder.File("broken.zip"));
        Assert.AreEqual(1, result.ExitCode, result.ToString());
        Assert.AreEqual(1, result.StderrLines.Length, result.Stderr);
        StringAssert.Contains(result.Stderr, "broken.json");
        StringAssert.Contains(result.Stderr, $"{id}");
        Assert.IsFalse(File.Exists(_folder.File("broken.zip")));

        var missing = CliRunner.Run("train", "--task", "object-detection", "--data", _folder.File("nothing.json"), "--out", _folder.File("x.zip"));
        Assert.AreEqual(1, missing.ExitCode, missing.ToString());
        StringAssert.Contains(missing.Stderr, "nothing.json");

        var size = CliRunner.Run("train", "--task", "object-detection", "--data", _coco, "--image-size", "100", "--out", _folder.File("y.zip"));
        Assert.AreEqual(2, size.ExitCode, size.ToString());
        StringAssert.Contains(size.Stderr, "multiple of 32");
    }

    [TestMethod]
    public void FasterRcnnTrainsWithTheSameDataOptionsAndPrintsTheCocoMetricsLast()
    {
        using var data = SyntheticDetectionData.Create(6, seed: 6, width: 64, height: 64, minSide: 14, maxSide: 30);
        var coco = Path.Combine(data.Folder, "instances.json");
        data.Dataset.WriteCoco(coco);
        var model = _folder.File("frcnn.zip");
        var train = CliRunner.Run("train", "--task", "object-detection", "--arch", "faster-rcnn", "--backbone", "resnet18", "--data", coco,
            "--image-size", "64", "--epochs", "1", "--batch-size", "3", "--no-augment", "--out", model);
        Assert.AreEqual(0, train.ExitCode, train.ToString());
        StringAssert.Contains(train.Stderr, "training faster-rcnn resnet18 fpn on", "the pyramid is the default, as in the trainer's options");
        Assert.IsTrue(File.Exists(model), "the model is written");
        Assert.AreEqual(6, train.Metrics.GetProperty("Images").GetInt32());
        Assert.IsTrue(train.Metrics.TryGetProperty("AP50", out _), train.StdoutLines[^1]);
        var epoch = train.StderrLines.Single(l => l.StartsWith("epoch ", StringComparison.Ordinal));
        foreach (var part in new[] { "rpn-objectness ", "rpn-box ", "classifier ", "box " })
            StringAssert.Contains(epoch, part);

        var badLimit = CliRunner.Run("train", "--task", "object-detection", "--time-limit", "-3", "--data", coco, "--out", _folder.File("z.zip"));
        Assert.AreEqual(2, badLimit.ExitCode, badLimit.ToString());
        StringAssert.Contains(badLimit.Stderr, "--time-limit '-3' is not valid");

        var yoloOnly = CliRunner.Run("train", "--task", "object-detection", "--arch", "faster-rcnn", "--anchors", "paper", "--data", coco, "--out", _folder.File("z.zip"));
        Assert.AreEqual(2, yoloOnly.ExitCode, yoloOnly.ToString());
        StringAssert.Contains(yoloOnly.Stderr, "--anchors applies to YOLO only");
        var backbone = CliRunner.Run("train", "--task", "object-detection", "--arch", "faster-rcnn", "--backbone", "alexnet", "--data", coco, "--out", _folder.File("z.zip"));
        Assert.AreEqual(2, backbone.ExitCode, backbone.ToString());
        StringAssert.Contains(backbone.Stderr, "--backbone 'alexnet' is not valid: expected resnet18, resnet34, resnet50, resnet101, resnet152, vgg16, vgg16-bn");
        var fpnForYolo = CliRunner.Run("train", "--task", "object-detection", "--fpn", "--data", coco, "--out", _folder.File("z.zip"));
        Assert.AreEqual(2, fpnForYolo.ExitCode, fpnForYolo.ToString());
        StringAssert.Contains(fpnForYolo.Stderr, "--fpn applies to --arch faster-rcnn or mask-rcnn only");
        var both = CliRunner.Run("train", "--task", "object-detection", "--arch", "faster-rcnn", "--fpn", "--no-fpn", "--data", coco, "--out", _folder.File("z.zip"));
        Assert.AreEqual(2, both.ExitCode, both.ToString());
        StringAssert.Contains(both.Stderr, "--fpn and --no-fpn contradict each other");
    }

    /// <summary>The COCO sample with polygon outlines (Vision/Data/Detection/Layouts/coco-yolo, by make_detection_sample.py): four training images,
    /// three test images; the single layer4 map of a 64-pixel input (--no-fpn: 2 × 2 positions, 36 anchors) keeps torchvision's default heads quick.</summary>
    [TestMethod]
    public void MaskRcnnTrainsOnOutlinesAndPrintsBoxAndMaskMetrics_AndRefusesDataWithoutOutlines()
    {
        string annotations = Path.Combine(AppContext.BaseDirectory, "Vision", "Data", "Detection", "Layouts", "coco-yolo", "annotations");
        var model = _folder.File("mrcnn.zip");
        var train = CliRunner.Run("train", "--task", "object-detection", "--arch", "mask-rcnn", "--data", Path.Combine(annotations, "instances_train.json"),
            "--test", Path.Combine(annotations, "instances_test.json"), "--image-size", "64", "--no-fpn", "--epochs", "1", "--batch-size", "4", "--no-augment", "--out", model);
        Assert.AreEqual(0, train.ExitCode, train.ToString());
        StringAssert.Contains(train.Stderr, "training mask-rcnn resnet18 on", "--no-fpn: the layer4 map alone");
        StringAssert.Contains(train.Stderr, "augmentation: none (--no-augment)", "Mask R-CNN takes --no-augment as the other detectors do");
        Assert.IsFalse(train.Stderr.Contains("time limit", StringComparison.Ordinal), "the R-CNNs have no time limit unless asked");
        Assert.IsTrue(File.Exists(model), "the model is written");
        Assert.AreEqual(3, train.Metrics.GetProperty("Images").GetInt32());
        foreach (var key in new[] { "AP", "AP50", "MaskAP", "MaskAP50", "MaskAP75", "MaskAR100" })
            Assert.IsTrue(train.Metrics.TryGetProperty(key, out var value) && value.GetDouble() >= -1, $"{key} in {train.StdoutLines[^1]}");
        Assert.IsTrue(train.Metrics.TryGetProperty("MaskPerClassAP", out _), train.StdoutLines[^1]);
        var epoch = train.StderrLines.Single(l => l.StartsWith("epoch ", StringComparison.Ordinal));
        foreach (var part in new[] { "rpn-objectness ", "classifier ", "mask " })
            StringAssert.Contains(epoch, part);
        var evaluate = CliRunner.Run("evaluate", "--model", model, "--data", Path.Combine(annotations, "instances_test.json"));
        Assert.AreEqual(0, evaluate.ExitCode, evaluate.ToString());
        foreach (var key in new[] { "AP", "MaskAP", "MaskAP50", "MaskAR100" })
            Assert.AreEqual(train.Metrics.GetProperty(key).GetDouble(), evaluate.Metrics.GetProperty(key).GetDouble(), $"evaluate's {key} is train's");

        using var boxesOnly = SyntheticDetectionData.Create(2, seed: 7, width: 64, height: 64, minSide: 14, maxSide: 30);
        var coco = Path.Combine(boxesOnly.Folder, "instances.json");
        boxesOnly.Dataset.WriteCoco(coco);
        var noOutlines = CliRunner.Run("train", "--task", "object-detection", "--arch", "mask-rcnn", "--data", coco, "--epochs", "1", "--out", _folder.File("m.zip"));
        Assert.AreEqual(1, noOutlines.ExitCode, noOutlines.ToString());
        StringAssert.Contains(noOutlines.Stderr, "object 0 of image");
        StringAssert.Contains(noOutlines.Stderr, "has no outline; --arch mask-rcnn needs every object's mask");
        Assert.IsFalse(File.Exists(_folder.File("m.zip")));
    }
}
