namespace Microsoft.ML.DeepExtensions.Tests.Cli;

/// <summary>
/// <c>deepext train --task object-detection --arch faster-rcnn|mask-rcnn --backbone FILE.onnx [--backbone-maps NAMES] [--fpn]</c>:
/// an ONNX network (here the small PyTorch export of <c>Vision/Detection/Models/generate_tiny_onnx_backbone.py</c>) as the
/// R-CNN's backbone, and one-line errors for maps that are missing, not feature maps, or do not fit --fpn.
/// </summary>
[TestClass]
public sealed class OnnxBackboneDetectionCliTests
{
    private static string Backbone => Path.Combine(AppContext.BaseDirectory, "Vision", "Detection", "Models", "tiny_onnx_backbone.onnx");

    /// <summary>The COCO sample with outlines: four training images, three test images.</summary>
    private static string Annotations(string split) =>
        Path.Combine(AppContext.BaseDirectory, "Vision", "Data", "Detection", "Layouts", "coco-yolo", "annotations", $"instances_{split}.json");

    [TestMethod]
    public void FasterRcnnTrainsOnAnOnnxBackbone_AndBadMapsAreOneLineErrors()
    {
        using var folder = new TempFolder();
        string model = folder.File("onnx-frcnn.zip");
        var train = CliRunner.Run("train", "--task", "object-detection", "--arch", "faster-rcnn", "--backbone", Backbone, "--backbone-maps", "stage4",
            "--data", Annotations("train"), "--test", Annotations("test"), "--image-size", "64", "--epochs", "1", "--batch-size", "4", "--no-augment", "--out", model);
        Assert.AreEqual(0, train.ExitCode, train.ToString());
        StringAssert.Contains(train.Stderr, $"faster-rcnn ONNX backbone '{Backbone}' (stage4)");
        Assert.IsTrue(train.Metrics.TryGetProperty("AP50", out _), train.StdoutLines[^1]);

        string[] Args(params string[] extra) => new[] { "train", "--task", "object-detection", "--arch", "faster-rcnn", "--data", Annotations("train"),
            "--image-size", "64", "--epochs", "1", "--out", folder.File("x.zip") }.Concat(extra).ToArray();
        var fpn = CliRunner.Run(Args("--backbone", Backbone, "--fpn"));
        Assert.AreEqual(2, fpn.ExitCode, fpn.ToString());
        StringAssert.Contains(fpn.Stderr, "--fpn over --backbone");
        StringAssert.Contains(fpn.Stderr, "needs --backbone-maps");
        var twoMaps = CliRunner.Run(Args("--backbone", Backbone, "--backbone-maps", "stage3,stage4"));
        Assert.AreEqual(2, twoMaps.ExitCode, twoMaps.ToString());
        StringAssert.Contains(twoMaps.Stderr, "without --fpn");
        var resnetMaps = CliRunner.Run(Args("--backbone", "resnet18", "--backbone-maps", "stage4"));
        Assert.AreEqual(2, resnetMaps.ExitCode, resnetMaps.ToString());
        StringAssert.Contains(resnetMaps.Stderr, "--backbone-maps applies to --backbone FILE.onnx");
        var missing = CliRunner.Run(Args("--backbone", folder.File("none.onnx")));
        Assert.AreEqual(1, missing.ExitCode, missing.ToString());
        StringAssert.Contains(missing.Stderr, "none.onnx' not found");
        var logits = CliRunner.Run(Args("--backbone", Backbone, "--backbone-maps", "logits"));
        Assert.AreEqual(1, logits.ExitCode, logits.ToString());
        StringAssert.Contains(logits.Stderr, "'logits' is [1, 10]");
        var unknown = CliRunner.Run(Args("--backbone", Backbone, "--backbone-maps", "Relu_99"));
        Assert.AreEqual(1, unknown.ExitCode, unknown.ToString());
        StringAssert.Contains(unknown.Stderr, "'Relu_99' is neither a node nor a value");
    }
}
