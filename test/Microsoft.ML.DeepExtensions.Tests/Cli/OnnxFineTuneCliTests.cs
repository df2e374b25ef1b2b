using DeepExtensions.Cli.Commands;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Tests.Vision.Classification;
using Microsoft.ML.DeepExtensions.Tests.Vision.Onnx;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Onnx.Import;
using Microsoft.ML.DeepExtensions.Vision.Weights;

namespace Microsoft.ML.DeepExtensions.Tests.Cli;

/// <summary>
/// <c>deepext import --onnx</c> then <c>deepext train --weights imported.zip</c> (no --arch): the imported graph under a new
/// classifier for the data's classes, started from the imported weights (the route of build/finetune-comparison.sh).
/// </summary>
[TestClass]
public sealed class OnnxFineTuneCliTests
{
    [TestMethod]
    public void TrainWithAnImportedOnnxModelFineTunesItsGraphUnderANewClassifier()
    {
        using var folder = new TempFolder();
        string onnx = OnnxTestFiles.Model("ops_opset13.onnx");
        string imported = folder.File("imported.zip");
        var import = CliRunner.Run("import", "--onnx", onnx, "--output", "/Reshape_output_0", "--classes", "5", "--out", imported);
        Assert.AreEqual(0, import.ExitCode, import.ToString());

        string images = folder.File("images");
        foreach (var (row, i) in SyntheticImages.Images(24, seed: 4, size: 16).Select((r, i) => (r, i)))
        {
            Directory.CreateDirectory(Path.Combine(images, row.Label));
            row.Image!.Save(Path.Combine(images, row.Label, $"{i:D3}.png"));
        }
        int classes = Directory.GetDirectories(images).Length;
        string tuned = folder.File("tuned.zip");
        // The backbone frozen: its weights must be the imported ones exactly (fresh ones would be zeros, or random elsewhere).
        var train = CliRunner.Run("train", "--task", "image-classification", "--data", images, "--weights", imported, "--freeze-backbone",
            "--image-size", "16x16", "--epochs", "1", "--out", tuned);
        Assert.AreEqual(0, train.ExitCode, train.ToString());
        StringAssert.Contains(train.Stderr, $"fine-tuning from '{imported}' (backbone frozen, learning rate 0.0001, classifier learning rate 0.001,");
        StringAssert.Contains(train.Stderr, "augmentation: left-right flips, random crops after padding by 2 pixels", "an eighth of 16");

        var architecture = (OnnxBackbone)ImageNetworkWeights.ArchitectureOf(tuned)!;
        Assert.IsTrue(architecture.NewHead, "a new classifier on the imported graph");
        using var weights = ImageNetworkWeights.ReadPyTorchNamed(tuned);
        Assert.AreEqual(classes, (int)weights["head.weight"].shape[0], "one output per class of the data");
        using var original = OnnxGraphModule.Import(onnx, "/Reshape_output_0");
        foreach (var (name, parameter) in original.named_parameters())
            Assert.IsTrue(parameter.allclose(weights["backbone." + name], rtol: 0, atol: 0), $"backbone.{name} is the imported weight");
        Assert.IsTrue(train.Metrics.TryGetProperty("MicroAccuracy", out _), train.StdoutLines[^1]);

        var contradictory = CliRunner.Run("train", "--task", "image-classification", "--data", images, "--weights", imported, "--no-augment", "--flip",
            "--image-size", "16x16", "--epochs", "1", "--out", folder.File("other.zip"));
        Assert.AreEqual(ExitCodes.Usage, contradictory.ExitCode, contradictory.ToString());
        StringAssert.Contains(contradictory.Stderr, "--no-augment cannot be combined with --flip or --crop-padding");
        var withoutWeights = CliRunner.Run("train", "--task", "image-classification", "--data", images, "--no-augment", "--out", folder.File("other.zip"));
        Assert.AreEqual(ExitCodes.Usage, withoutWeights.ExitCode, withoutWeights.ToString());
        StringAssert.Contains(withoutWeights.Stderr, "--no-augment applies with --weights");
        Assert.IsFalse(File.Exists(folder.File("other.zip")));
    }
}
