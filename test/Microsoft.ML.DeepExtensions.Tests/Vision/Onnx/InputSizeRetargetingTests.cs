using Google.Protobuf;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Onnx;
using Microsoft.ML.DeepExtensions.Vision.Onnx.Import;
using Microsoft.ML.DeepExtensions.Vision.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Onnx;

/// <summary>
/// The ResNet18 package's graphs, exported for 224×224 images, rewritten for other sizes (<see cref="InputSizeRetargeting"/>):
/// the rewrite is valid ONNX that ONNX Runtime runs as we do, its mean image is the area average of the original, and
/// weights saved at 224×224 load into a network built for the new size.
/// </summary>
[TestClass]
public sealed class InputSizeRetargetingTests
{
    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    private static global::Onnx.ModelProto Read(string path) => global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));

    [TestMethod]
    public void ResNet18PackageAt128RunsAsOnnxRuntimeRunsTheRewrittenGraphs()
    {
        var resnet = InputSizeRetargeting.Retarget(Read(OnnxTestFiles.ResNet18), 128, 128, "ResNet18.onnx");
        var preprocess = InputSizeRetargeting.Retarget(Read(OnnxTestFiles.ResNetPreprocess), 128, 128, "ResNetPreprocess.onnx");
        var pools = resnet.Graph.Node.Where(n => n.OpType.EndsWith("Pool", StringComparison.Ordinal)).Select(n => n.OpType).ToArray();
        CollectionAssert.AreEqual(new[] { "MaxPool", "GlobalAveragePool" }, pools, "the stem's 3x3 max pool stays; the 7x7 whole-map average pool is global");
        Assert.AreEqual(128, resnet.Graph.Input[0].Type.TensorType.Shape.Dim[3].DimValue);

        var (pixels, count) = OnnxTestFiles.PhotoPixels(128);
        var shape = new long[] { 1, 3, 128, 128 };
        string resnetPath = Path.Combine(Path.GetTempPath(), $"resnet128-{Guid.NewGuid():N}.onnx");
        string preprocessPath = Path.Combine(Path.GetTempPath(), $"preprocess128-{Guid.NewGuid():N}.onnx");
        try
        {
            File.WriteAllBytes(resnetPath, resnet.ToByteArray());
            File.WriteAllBytes(preprocessPath, preprocess.ToByteArray());
            using var ourResnet = OnnxGraphModule.FromModel(resnet, "rewritten ResNet18", null);
            using var ourPreprocess = OnnxGraphModule.FromModel(preprocess, "rewritten preprocessing", null);
            ourResnet.eval();
            ourPreprocess.eval();
            double worst = 0;
            for (int i = 0; i < count; i++)
            {
                var image = pixels.AsSpan(i * 3 * 128 * 128, 3 * 128 * 128).ToArray();
                var expected = OnnxTestFiles.RunOnnxRuntime(resnetPath, OnnxTestFiles.RunOnnxRuntime(preprocessPath, image, shape), shape);
                Assert.AreEqual(512, expected.Length);
                using var scope = torch.NewDisposeScope();
                using var noGrad = torch.no_grad();
                var ours = ourResnet.call(ourPreprocess.call(torch.tensor(image, shape))).data<float>().ToArray();
                worst = Math.Max(worst, OnnxTestFiles.RelativeError(ours, expected));
            }
            Assert.IsTrue(worst < 1e-4, $"relative error {worst:E2}");
        }
        finally
        {
            File.Delete(resnetPath);
            File.Delete(preprocessPath);
        }
    }

    [TestMethod]
    public void MeanImageIsTheAreaAverageOfTheOriginal_AndTheDeclaredSizeIsLeftAlone()
    {
        var original = Read(OnnxTestFiles.ResNetPreprocess);
        Assert.AreSame(original, InputSizeRetargeting.Retarget(original, 224, 224, "ResNetPreprocess.onnx"), "nothing to do at the declared size");

        var halved = InputSizeRetargeting.Retarget(original, 112, 112, "ResNetPreprocess.onnx");
        var before = original.Graph.Initializer.Single();
        var after = halved.Graph.Initializer.Single();
        CollectionAssert.AreEqual(new long[] { 1, 3, 224, 224 }, before.Dims.ToArray(), "the original stays as it was");
        CollectionAssert.AreEqual(new long[] { 1, 3, 112, 112 }, after.Dims.ToArray());
        var big = OnnxTensorData.Read(before, "original").AsFloat("test");
        var small = OnnxTensorData.Read(after, "rewritten").AsFloat("test");
        Assert.AreEqual(3 * 112 * 112, small.Length);
        double worst = 0;
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < 112; y++)
            {
                for (int x = 0; x < 112; x++)
                {
                    // Halving exactly: each new pixel is the mean of a 2x2 block.
                    double mean = 0;
                    for (int dy = 0; dy < 2; dy++)
                    {
                        for (int dx = 0; dx < 2; dx++)
                            mean += big[(c * 224 + 2 * y + dy) * 224 + 2 * x + dx] / 4.0;
                    }
                    worst = Math.Max(worst, Math.Abs(small[(c * 112 + y) * 112 + x] - mean));
                }
            }
        }
        Assert.IsTrue(worst < 1e-4, $"largest difference from the 2x2 block means {worst}");
    }

    [TestMethod]
    public void SizeTheStridesDoNotDivideIsRefusedNamingTheExportedSize()
    {
        // ResNet18.onnx's explicit pads were computed for 224 (every stage even); at 112 layer4's two paths disagree.
        var backbone = ImageArchitectures.FromOnnx(OnnxTestFiles.ResNet18, new OnnxBackboneOptions { PreprocessingPath = OnnxTestFiles.ResNetPreprocess, PixelScale = 255 });
        var e = Assert.ThrowsExactly<ArgumentException>(() => backbone.Validate(new long[] { 3, 112, 112 }, 4));
        StringAssert.Contains(e.Message, "does not accept 3×112×112 images (it was exported for 3×224×224");
        StringAssert.Contains(e.Message, "multiple of 32");
        StringAssert.Contains(e.Message, "do not broadcast");
    }

    [TestMethod]
    public void WeightsSavedAt224LoadIntoANetworkBuiltFor128()
    {
        var backbone = ImageArchitectures.FromOnnx(OnnxTestFiles.ResNet18, new OnnxBackboneOptions { PreprocessingPath = OnnxTestFiles.ResNetPreprocess, PixelScale = 255 });
        var at224 = new ImageNetwork(backbone, new long[] { 3, 224, 224 }, 4);
        var at128 = new ImageNetwork(backbone, new long[] { 3, 128, 128 }, 4);
        string path = Path.Combine(Path.GetTempPath(), $"resnet224-{Guid.NewGuid():N}.safetensors");
        try
        {
            using (var saved = at224.Build())
            {
                // Something the import did not have, so that loading visibly copies the file's tensors.
                using var noGrad = torch.no_grad();
                ((OnnxBackboneNetwork)saved).Head!.weight!.fill_(0.25f);
                ImageNetworkWeights.Save(at224, saved, path);
            }
            using var module = (OnnxBackboneNetwork)at128.Build();
            var report = ImageNetworkWeights.Load(at128, module, path);
            Assert.IsTrue(module.Head!.weight!.eq(0.25f).all().item<bool>(), report.ToString());

            // The mean image as the rewritten preprocessing graph holds it, i.e. resampled the same way.
            using var expected = OnnxGraphModule.FromModel(InputSizeRetargeting.Retarget(Read(OnnxTestFiles.ResNetPreprocess), 128, 128, "ResNetPreprocess.onnx"), "rewritten", null);
            var mean = module.Preprocessing!.parameters().Single();
            CollectionAssert.AreEqual(new long[] { 1, 3, 128, 128 }, mean.shape);
            Assert.IsTrue(mean.allclose(expected.parameters().Single(), rtol: 0, atol: 1e-4), "the mean image resampled to 128x128");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
