using System.Globalization;
using Microsoft.ML.DeepExtensions.Tests.Vision.Classification;
using Microsoft.ML.DeepExtensions.Tests.Vision.Weights;
using Microsoft.ML.DeepExtensions.Weights;

namespace Microsoft.ML.DeepExtensions.Tests.Cli;

/// <summary>
/// <c>deepext import</c> of torchvision weights then <c>predict</c> gives torchvision's probabilities on real photos;
/// <c>export</c> writes the same tensors back; <c>train --weights</c> fine-tunes; bad files are one-line errors.
/// </summary>
[TestClass]
public sealed class WeightsCliTests
{
    [TestMethod]
    public void ImportedWeightsPredictTorchvisionsProbabilities()
    {
        // GoogLeNet: its golden logits are small, so the probabilities are far from 0 and 1 and the comparison is tight.
        using var folder = new TempFolder();
        string classes = folder.File("classes.txt");
        File.WriteAllLines(classes, new[] { "cat", "dog", "fish" });
        string model = folder.File("googlenet.zip");
        var import = CliRunner.Run("import", "--arch", "googlenet", "--weights", TorchvisionGolden.WeightsOf("googlenet"),
            "--classes", classes, "--input", "3x64x64", "--normalize", "imagenet", "--out", model);
        Assert.AreEqual(0, import.ExitCode, import.ToString());
        StringAssert.Contains(import.Stderr, "344 tensors loaded.");

        var predict = CliRunner.Run("predict", "--model", model, "--data", Path.Combine(TorchvisionGolden.Folder, "photos"));
        Assert.AreEqual(0, predict.ExitCode, predict.ToString());
        Assert.AreEqual("ImagePath,PredictedLabel,Score_cat,Score_dog,Score_fish", predict.StdoutLines[0]);
        var logits = TorchvisionGolden.Logits("googlenet");
        var photos = TorchvisionGolden.PhotoNames;
        foreach (var row in predict.StdoutLines.Skip(1).Select(l => l.Split(',')))
        {
            int photo = Array.IndexOf(photos, Path.GetFileNameWithoutExtension(row[0]));
            var expected = TorchvisionGolden.Softmax(logits[photo]);
            for (int c = 0; c < 3; c++)
                Assert.AreEqual(expected[c], float.Parse(row[2 + c], CultureInfo.InvariantCulture), 1e-4, $"{row[0]} class {c}");
            Assert.AreEqual(new[] { "cat", "dog", "fish" }[Array.IndexOf(expected, expected.Max())], row[1]);
        }
        Assert.AreEqual(photos.Length, predict.StdoutLines.Length - 1);

        string exported = folder.File("googlenet.safetensors");
        var export = CliRunner.Run("export", "--model", model, "--out", exported);
        Assert.AreEqual(0, export.ExitCode, export.ToString());
        using var original = WeightFiles.Read(TorchvisionGolden.WeightsOf("googlenet"));
        using var written = WeightFiles.Read(exported);
        CollectionAssert.AreEquivalent(original.Keys.ToArray(), written.Keys.ToArray());
        foreach (var (name, tensor) in original)
            Assert.IsTrue(ImageNetworkWeightsTests.Same(tensor, written[name]), name);
    }

    [TestMethod]
    public void TrainFineTunesFromWeights()
    {
        using var folder = new TempFolder();
        string images = folder.File("images");
        foreach (var (row, i) in SyntheticImages.Images(30, seed: 2).Select((r, i) => (r, i)))
        {
            Directory.CreateDirectory(Path.Combine(images, row.Label));
            row.Image!.Save(Path.Combine(images, row.Label, $"{i:D3}.png"));
        }
        string model = folder.File("tuned.zip");
        var train = CliRunner.Run("train", "--task", "image-classification", "--data", images, "--out", model, "--arch", "resnet18",
            "--weights", TorchvisionGolden.WeightsOf("resnet18"), "--trainable-stages", "1", "--head-learning-rate", "0.01",
            "--epochs", "1", "--image-size", "12x12", "--batch-size", "15");
        Assert.AreEqual(0, train.ExitCode, train.ToString());
        // Pretrained layers at a tenth of adam's 0.001 unless told otherwise; the classifier at the rate it was given.
        StringAssert.Contains(train.Stderr, "(the last 1 stages and the classifier trainable, learning rate 0.0001, classifier learning rate 0.01, input normalization: ImageNet mean/std)");
        var export = CliRunner.Run("export", "--model", model, "--out", folder.File("tuned.pt"));
        Assert.AreEqual(0, export.ExitCode, export.ToString());
        using var original = WeightFiles.Read(TorchvisionGolden.WeightsOf("resnet18"));
        using var tuned = WeightFiles.Read(folder.File("tuned.pt"));
        Assert.IsTrue(ImageNetworkWeightsTests.Same(original["layer2.0.conv1.weight"], tuned["layer2.0.conv1.weight"]), "frozen stage");
        Assert.IsFalse(ImageNetworkWeightsTests.Same(original["layer4.0.conv1.weight"], tuned["layer4.0.conv1.weight"]), "trained stage");
    }

    [TestMethod]
    public void BadWeightFilesAndOptionsAreOneLineErrors()
    {
        using var folder = new TempFolder();
        string truncated = folder.File("truncated.pt");
        var bytes = File.ReadAllBytes(TorchvisionGolden.WeightsOf("alexnet"));
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 3)]);
        var damaged = CliRunner.Run("import", "--arch", "alexnet", "--weights", truncated, "--classes", "3", "--input", "3x64x64", "--out", folder.File("a.zip"));
        Assert.AreEqual(1, damaged.ExitCode, damaged.ToString());
        StringAssert.Contains(damaged.Stderr, "truncated.pt");

        var wrongArch = CliRunner.Run("import", "--arch", "resnet50", "--weights", TorchvisionGolden.WeightsOf("resnet18"), "--input", "3x64x64", "--out", folder.File("b.zip"));
        Assert.AreEqual(1, wrongArch.ExitCode, wrongArch.ToString());
        StringAssert.Contains(wrongArch.Stderr, "layer1.0.conv1.weight: [64, 64, 3, 3] in the file, [64, 64, 1, 1] in the network");

        var wrongClasses = CliRunner.Run("import", "--arch", "resnet18", "--weights", TorchvisionGolden.WeightsOf("resnet18"), "--classes", "10", "--input", "3x64x64", "--out", folder.File("c.zip"));
        Assert.AreEqual(1, wrongClasses.ExitCode, wrongClasses.ToString());
        StringAssert.Contains(wrongClasses.Stderr, "does not have 10 classes");

        var badFormat = CliRunner.Run("export", "--model", folder.File("c.zip"), "--out", folder.File("m.h5"));
        Assert.AreEqual(2, badFormat.ExitCode, badFormat.ToString());
        StringAssert.Contains(badFormat.Stderr, "expected one of .pt, .pth, .safetensors");

        var badNormalize = CliRunner.Run("import", "--arch", "resnet18", "--weights", TorchvisionGolden.WeightsOf("resnet18"), "--normalize", "zscore", "--out", folder.File("d.zip"));
        Assert.AreEqual(2, badNormalize.ExitCode, badNormalize.ToString());
        StringAssert.Contains(badNormalize.Stderr, "'imagenet', 'none' or 'MEAN,...;STD,...'");
    }
}
