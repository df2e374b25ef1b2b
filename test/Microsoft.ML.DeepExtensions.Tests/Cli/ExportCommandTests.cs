using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

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
}
