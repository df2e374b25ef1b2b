using Google.Protobuf;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Onnx;
using Microsoft.ML.DeepExtensions.Vision.Onnx.Import;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Onnx;

[TestClass]
public sealed class OnnxImportTests
{
    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    private static float[] Run(nn.Module<Tensor, Tensor> module, float[] input, long[] shape)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        module.eval();
        return module.call(torch.tensor(input, shape)).contiguous().data<float>().ToArray();
    }

    [TestMethod]
    [DataRow(9)]
    [DataRow(11)]
    [DataRow(13)]
    public void PyTorchOperatorGraphsGivePyTorchsOutputs(int opset)
    {
        var golden = OnnxTestFiles.Golden;
        var input = OnnxTestFiles.Floats(golden.GetProperty("input"));
        var shape = OnnxTestFiles.Longs(golden.GetProperty("input_shape"));
        var expected = OnnxTestFiles.Floats(golden.GetProperty($"opset{opset}"));
        string path = OnnxTestFiles.Model($"ops_opset{opset}.onnx");

        using var module = OnnxGraphModule.Import(path);
        var ours = Run(module, input, shape);
        Assert.IsTrue(OnnxTestFiles.RelativeError(ours, expected) < 1e-4, $"opset {opset}: relative error vs PyTorch {OnnxTestFiles.RelativeError(ours, expected):E2}");
        var onnxRuntime = OnnxTestFiles.RunOnnxRuntime(path, input, shape);
        Assert.IsTrue(OnnxTestFiles.RelativeError(ours, onnxRuntime) < 1e-4, $"opset {opset}: relative error vs ONNX Runtime {OnnxTestFiles.RelativeError(ours, onnxRuntime):E2}");
        CollectionAssert.IsSubsetOf(new[] { "Conv", "Gemm", "MatMul", "MaxPool", "AveragePool", "GlobalAveragePool", "Concat", "Softmax", "Pad" }, module.Operators.ToArray());
    }

    [TestMethod]
    public void ImportedWeightsAreTrainableParameters()
    {
        using var module = OnnxGraphModule.Import(OnnxTestFiles.Model("ops_opset13.onnx"));
        var parameters = module.named_parameters().ToArray();
        Assert.IsTrue(parameters.Length >= 8, $"{parameters.Length} parameters");
        Assert.IsTrue(parameters.All(p => p.parameter.requires_grad));

        // One SGD step on a loss lowers it: gradients reach every imported weight.
        var golden = OnnxTestFiles.Golden;
        using var scope = torch.NewDisposeScope();
        var input = torch.tensor(OnnxTestFiles.Floats(golden.GetProperty("input")), OnnxTestFiles.Longs(golden.GetProperty("input_shape")));
        var target = torch.tensor(new long[] { 1, 3 });
        module.train();
        var optimizer = torch.optim.SGD(module.parameters(), 0.05);
        double before = 0;
        for (int step = 0; step < 3; step++)
        {
            optimizer.zero_grad();
            var loss = nn.functional.nll_loss(module.call(input).log(), target);
            loss.backward();
            if (step == 0)
            {
                before = loss.item<float>();
                Assert.IsTrue(parameters.All(p => p.parameter.grad is not null), "every weight gets a gradient");
            }
            optimizer.step();
        }
        module.eval();
        using var noGrad = torch.no_grad();
        double after = nn.functional.nll_loss(module.call(input).log(), target).item<float>();
        Assert.IsTrue(after < before, $"loss {before} → {after}");
    }

    [TestMethod]
    public void ResNet18PackageGivesOnnxRuntimesFeaturesOnPhotos()
    {
        var (pixels, count) = OnnxTestFiles.PhotoPixels(224);
        var shape = new long[] { 1, 3, 224, 224 };
        using var preprocessing = OnnxGraphModule.Import(OnnxTestFiles.ResNetPreprocess);
        using var resnet = OnnxGraphModule.Import(OnnxTestFiles.ResNet18);
        CollectionAssert.AreEquivalent(new[] { "Conv", "BatchNormalization", "Relu", "Add", "MaxPool", "AveragePool" }, resnet.Operators.Distinct().ToArray());
        double worst = 0;
        for (int i = 0; i < count; i++)
        {
            var image = pixels.AsSpan(i * 3 * 224 * 224, 3 * 224 * 224).ToArray();
            var prepared = OnnxTestFiles.RunOnnxRuntime(OnnxTestFiles.ResNetPreprocess, image, shape);
            var expected = OnnxTestFiles.RunOnnxRuntime(OnnxTestFiles.ResNet18, prepared, shape);
            Assert.AreEqual(512, expected.Length);
            var ours = Run(resnet, Run(preprocessing, image, shape), shape);
            worst = Math.Max(worst, OnnxTestFiles.RelativeError(ours, expected));
        }
        Assert.IsTrue(worst < 1e-4, $"relative error {worst:E2}");
        Console.WriteLine($"ResNet18.onnx imported vs ONNX Runtime on {count} photos: max relative error {worst:E2}");
    }

    [TestMethod]
    public void ResNet18BackboneFeaturesEqualTheImportedGraph()
    {
        // The backbone of the CNN trainer reads [0, 1] pixels; with PixelScale 255 and the package's
        // preprocessing it computes the same 512 features as the two graphs on 0..255 pixels.
        var backbone = ImageArchitectures.FromOnnx(OnnxTestFiles.ResNet18, new OnnxBackboneOptions { PreprocessingPath = OnnxTestFiles.ResNetPreprocess, PixelScale = 255 });
        var (pixels, _) = OnnxTestFiles.PhotoPixels(224);
        var image = pixels.AsSpan(0, 3 * 224 * 224).ToArray();
        var shape = new long[] { 1, 3, 224, 224 };
        var expected = OnnxTestFiles.RunOnnxRuntime(OnnxTestFiles.ResNet18, OnnxTestFiles.RunOnnxRuntime(OnnxTestFiles.ResNetPreprocess, image, shape), shape);
        using var network = (OnnxBackboneNetwork)backbone.Create(new long[] { 3, 224, 224 }, 4);
        network.eval();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var features = network.Features(torch.tensor(image, shape) / 255f).data<float>().ToArray();
        Assert.IsTrue(OnnxTestFiles.RelativeError(features, expected) < 1e-4, $"relative error {OnnxTestFiles.RelativeError(features, expected):E2}");
        Assert.AreEqual(512, network.Head!.in_features);
        Assert.IsFalse(network.Preprocessing!.parameters().Any(p => p.requires_grad), "the preprocessing stays fixed");
    }

    [TestMethod]
    public void BatchNormalizationUpdatesItsRunningMeanWithPyTorchsMomentumNotTheFilesOwn()
    {
        // ResNet18.onnx (exported by CNTK) says momentum 0.988; training follows PyTorch's 0.1 of the batch instead.
        var model = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(OnnxTestFiles.ResNet18));
        var bn = model.Graph.Node.First(n => n.OpType == "BatchNormalization");
        Assert.IsTrue(bn.Attribute.Single(a => a.Name == "momentum").F > 0.98f, "the file's own momentum");
        var initial = OnnxTensorData.Read(model.Graph.Initializer.Single(t => t.Name == bn.Input[3]), "ResNet18.onnx").AsFloat("test");

        var (pixels, count) = OnnxTestFiles.PhotoPixels(224);
        using var scope = torch.NewDisposeScope();
        var batch = torch.tensor(pixels, new long[] { count, 3, 224, 224 }) - 110f;
        using var conv = OnnxGraphModule.FromModel(model, "ResNet18.onnx", bn.Input[0]);
        conv.eval();
        Tensor batchMean;
        using (torch.no_grad())
            batchMean = conv.call(batch).mean(new long[] { 0, 2, 3 });

        using var throughBn = OnnxGraphModule.FromModel(model, "ResNet18.onnx", bn.Output[0]);
        throughBn.train();
        using (torch.no_grad())
            throughBn.call(batch);
        string buffer = new string(bn.Input[3].Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_').ToArray());
        var running = throughBn.named_buffers().Single(b => b.name == buffer).buffer;
        var expected = torch.tensor(initial) * 0.9f + batchMean * 0.1f;
        Assert.IsTrue(running.allclose(expected, rtol: 1e-4, atol: 1e-4), $"largest difference {(running - expected).abs().max().item<float>()}");
    }

    [TestMethod]
    public void UnknownOperatorIsRefusedByTypeAndNodeName()
    {
        var model = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(OnnxTestFiles.Model("ops_opset13.onnx")));
        var node = model.Graph.Node.First(n => n.OpType == "Tanh");
        node.OpType = "Erf";
        node.Name = "my_erf";
        var path = Path.Combine(Path.GetTempPath(), $"erf-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        try
        {
            var e = Assert.ThrowsExactly<OnnxFormatException>(() => OnnxGraphModule.Import(path));
            StringAssert.Contains(e.Message, "Unsupported ONNX operator 'Erf'");
            StringAssert.Contains(e.Message, "'my_erf'");
            StringAssert.Contains(e.Message, "Conv");   // lists the supported ones
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void TruncatedFileIsRefusedNamingIt()
    {
        var bytes = File.ReadAllBytes(OnnxTestFiles.Model("ops_opset13.onnx"));
        var path = Path.Combine(Path.GetTempPath(), $"truncated-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        try
        {
            var e = Assert.ThrowsExactly<OnnxFormatException>(() => OnnxGraphModule.Import(path));
            StringAssert.Contains(e.Message, path);
            StringAssert.Contains(e.Message, "truncated");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void ShapeMismatchesNameTheNodeAndTensor()
    {
        // An initializer whose data does not fill its shape.
        var model = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(OnnxTestFiles.Model("ops_opset13.onnx")));
        var weight = model.Graph.Initializer.First(t => t.Dims.Count == 4);
        weight.RawData = ByteString.CopyFrom(weight.RawData.Span[..^4]);
        var e = Assert.ThrowsExactly<OnnxFormatException>(() => OnnxGraphModule.FromModel(model, "test model", null));
        StringAssert.Contains(e.Message, $"tensor '{weight.Name}'");

        // An input with the wrong channel count for the first convolution: refused when it runs, naming node and weight.
        using var module = OnnxGraphModule.Import(OnnxTestFiles.Model("ops_opset13.onnx"));
        var run = Assert.ThrowsExactly<OnnxFormatException>(() => Run(module, new float[2 * 16 * 16], new long[] { 1, 2, 16, 16 }));
        StringAssert.Contains(run.Message, "Conv node");
        StringAssert.Contains(run.Message, "2 channels");
    }

    /// <summary>The test photos resized to size × size, as ML.NET's ExtractPixels gives them (planar RGB, 0..255).</summary>
}
