using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.DeepExtensions.Tests.Vision.Weights;

namespace Microsoft.ML.DeepExtensions.Tests.Cli;

[TestClass]
public sealed class ExportCommandTests
{
    [TestMethod]
    public void ExportWritesAnOnnxClassifierThatOnnxRuntimeRuns()
    {
        using var folder = new TempFolder();
        string images = folder.File("images");
        foreach (var (row, i) in Vision.Classification.SyntheticImages.Images(24, seed: 2).Select((r, i) => (r, i)))
        {
            Directory.CreateDirectory(Path.Combine(images, row.Label));
            row.Image!.Save(Path.Combine(images, row.Label, $"{i:D3}.png"));
        }
        string model = folder.File("m.zip");
        var train = CliRunner.Run("train", "--task", "image-classification", "--data", images, "--out", model, "--epochs", "1", "--image-size", "12x12");
        Assert.AreEqual(0, train.ExitCode, train.ToString());
        int classes = Directory.GetDirectories(images).Length;

        string onnx = folder.File("m.onnx");
        var export = CliRunner.Run("export", "--model", model, "--out", onnx);
        Assert.AreEqual(0, export.ExitCode, export.ToString());
        using var session = new InferenceSession(onnx);
        CollectionAssert.AreEqual(new[] { -1, 3, 12, 12 }, session.InputMetadata.Single().Value.Dimensions);
        var input = new DenseTensor<float>(Enumerable.Range(0, 2 * 3 * 12 * 12).Select(i => (i % 17) / 17f).ToArray(), new[] { 2, 3, 12, 12 });
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), input) });
        var score = results.Single(r => r.Name == "Score").AsTensor<float>();
        CollectionAssert.AreEqual(new[] { 2, classes }, score.Dimensions.ToArray());
        Assert.AreEqual(1.0, Enumerable.Range(0, classes).Sum(c => score[0, c]), 1e-5, "class probabilities");

        var again = CliRunner.Run("export", "--model", model, "--out", onnx);
        Assert.AreEqual(2, again.ExitCode, "an existing --out needs --force");
        var wrong = CliRunner.Run("export", "--model", model, "--out", folder.File("m.bin"));
        Assert.AreEqual(2, wrong.ExitCode);
        StringAssert.Contains(wrong.Stderr, ".onnx");
    }

    [TestMethod]
    public void ImportedTorchvisionWeightsExportWithTheirImageNetNormalization()
    {
        // torchvision's ResNet-18 (seeded random weights, generate_torchvision_weights.py) imported with --normalize imagenet:
        // the exported graph reads the [0, 1] photos and gives torchvision's probabilities, the normalization inside it.
        using var folder = new TempFolder();
        string model = folder.File("resnet18.zip");
        var import = CliRunner.Run("import", "--arch", "resnet18", "--weights", TorchvisionGolden.WeightsOf("resnet18"),
            "--classes", "3", "--input", "3x64x64", "--normalize", "imagenet", "--out", model);
        Assert.AreEqual(0, import.ExitCode, import.ToString());
        string onnx = folder.File("resnet18.onnx");
        var export = CliRunner.Run("export", "--model", model, "--out", onnx);
        Assert.AreEqual(0, export.ExitCode, export.ToString());
        StringAssert.Contains(export.Stderr, "ImageNet mean/std normalization");

        var photos = TorchvisionGolden.PhotoNames;
        using var session = new InferenceSession(onnx);
        var input = new DenseTensor<float>(TorchvisionGolden.PhotoBatch(), new[] { photos.Length, 3, 64, 64 });
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), input) });
        var score = results.Single(r => r.Name == "Score").AsTensor<float>();
        var logits = TorchvisionGolden.Logits("resnet18");
        for (int i = 0; i < photos.Length; i++)
        {
            var expected = TorchvisionGolden.Softmax(logits[i]);
            for (int c = 0; c < 3; c++)
                Assert.AreEqual(expected[c], score[i, c], 1e-4, $"{photos[i]} class {c}");
        }
    }
}
