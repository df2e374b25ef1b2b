using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Tests.Vision.Onnx;

namespace Microsoft.ML.DeepExtensions.Tests.Cli;

[TestClass]
public sealed class ImportCommandTests
{
    [TestMethod]
    public void ImportedOnnxClassifierPredictsOnnxRuntimesProbabilities()
    {
        using var folder = new TempFolder();
        string images = folder.File("photos");
        Directory.CreateDirectory(images);
        foreach (var photo in OnnxTestFiles.Photos)
            File.Copy(OnnxTestFiles.Photo(photo), Path.Combine(images, photo));
        string classes = folder.File("classes.txt");
        File.WriteAllLines(classes, new[] { "cat", "dog", "bird", "fish", "frog" });
        string onnx = OnnxTestFiles.Model("ops_opset13.onnx");
        string model = folder.File("imported.zip");

        // The graph ends with Softmax; the model scores its logits (the Softmax's input) and applies its own.
        var import = CliRunner.Run("import", "--onnx", onnx, "--output", "/Reshape_output_0", "--classes", classes, "--out", model);
        Assert.AreEqual(0, import.ExitCode, import.ToString());
        var predict = CliRunner.Run("predict", "--model", model, "--data", images);
        Assert.AreEqual(0, predict.ExitCode, predict.ToString());
        var lines = predict.StdoutLines;
        Assert.AreEqual("ImagePath,PredictedLabel,Score_cat,Score_dog,Score_bird,Score_fish,Score_frog", lines[0]);

        // ONNX Runtime on the same pixels (ResizeImages to 16×16, RGB / 255, planar) gives the same probabilities.
        var ml = new MLContext(seed: 1);
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split(',');
            var data = ml.Data.LoadFromEnumerable(new[] { new PathRow { ImagePath = fields[0] } });
            var pixels = ml.Transforms.LoadImages("Image", "", "ImagePath").Append(ml.Transforms.ResizeImages("Image", 16, 16))
                .Append(ml.Transforms.ExtractPixels("Pixels", "Image", scaleImage: 1 / 255f)).Fit(data).Transform(data)
                .GetColumn<VBuffer<float>>("Pixels").Single().DenseValues().ToArray();
            var expected = OnnxTestFiles.RunOnnxRuntime(onnx, pixels, new long[] { 1, 3, 16, 16 });
            var actual = fields.Skip(2).Select(f => float.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            Assert.IsTrue(OnnxTestFiles.RelativeError(actual, expected) < 1e-4, $"{fields[0]}: {string.Join(" ", actual)} vs {string.Join(" ", expected)}");
            Assert.AreEqual(new[] { "cat", "dog", "bird", "fish", "frog" }[Array.IndexOf(expected, expected.Max())], fields[1]);
        }
    }

    [TestMethod]
    public void ImportRefusesAnUnsupportedOperatorAndAWrongClassCount()
    {
        using var folder = new TempFolder();
        var model = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(OnnxTestFiles.Model("ops_opset13.onnx")));
        model.Graph.Node.First(n => n.OpType == "Sigmoid").OpType = "HardSigmoid";
        string unsupported = folder.File("hard.onnx");
        File.WriteAllBytes(unsupported, Google.Protobuf.MessageExtensions.ToByteArray(model));
        var refused = CliRunner.Run("import", "--onnx", unsupported, "--classes", "5", "--out", folder.File("a.zip"));
        Assert.AreEqual(1, refused.ExitCode, refused.ToString());
        StringAssert.Contains(refused.Stderr, "Unsupported ONNX operator 'HardSigmoid'");

        var wrongClasses = CliRunner.Run("import", "--onnx", OnnxTestFiles.Model("ops_opset13.onnx"), "--output", "/Reshape_output_0", "--classes", "3", "--out", folder.File("b.zip"));
        Assert.AreEqual(1, wrongClasses.ExitCode, wrongClasses.ToString());
        StringAssert.Contains(wrongClasses.Stderr, "expected (1, 3)");
    }

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }
}
