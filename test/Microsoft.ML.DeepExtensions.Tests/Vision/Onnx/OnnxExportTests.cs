using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Activations;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Scoring;
using Microsoft.ML.DeepExtensions.Trainers;
using Microsoft.ML.DeepExtensions.Training;
using Microsoft.ML.DeepExtensions.Vision;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Classification;
using Microsoft.ML.DeepExtensions.Vision.Layers;
using Microsoft.ML.DeepExtensions.Vision.Onnx;
using Microsoft.ML.DeepExtensions.Vision.Onnx.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Onnx;

[TestClass]
public sealed class OnnxExportTests
{
    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    /// <summary>
    /// Builds <paramref name="architecture"/> with random weights (and random batch-norm statistics, so
    /// they matter), exports it, and compares ONNX Runtime's Score with the module's softmax on random images.
    /// </summary>
    private static double ExportAndCompare(ImageArchitecture architecture, long[] inputShape, int classes, ImageNormalization? normalization = null, string? keepAs = null)
    {
        var definition = new ImageNetwork(architecture, inputShape, classes, normalization);
        using var module = definition.Build();
        using (var noGrad = torch.no_grad())
        {
            foreach (var (name, buffer) in module.named_buffers())
            {
                if (name.EndsWith("running_mean", StringComparison.Ordinal))
                    buffer.uniform_(-0.3, 0.3);
                else if (name.EndsWith("running_var", StringComparison.Ordinal))
                    buffer.uniform_(0.5, 2);
            }
        }
        module.eval();
        var path = Path.Combine(Path.GetTempPath(), $"export-{architecture.Name}-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxModelFile.Write(OnnxExport.Build(definition, module, PredictionTask.MulticlassClassification, "Image"), path);
            var shape = new long[] { 2 }.Concat(inputShape).ToArray();
            using var scope = torch.NewDisposeScope();
            var input = torch.rand(shape, generator: new Generator(7));
            float[] expected;
            using (var noGrad = torch.no_grad())
                expected = nn.functional.softmax(module.call(input), 1).data<float>().ToArray();
            var actual = OnnxTestFiles.RunOnnxRuntime(path, input.data<float>().ToArray(), shape);
            KeepForOpenCv(keepAs ?? architecture.Name, path, input.data<float>().ToArray(), shape, expected);
            return OnnxTestFiles.RelativeError(actual, expected);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// With DEEPEXT_ONNX_EXPORT_DIR set, keeps each export with its input and our scores there, for the
    /// independent check with OpenCV's dnn module (check_exports_with_opencv.py).
    /// </summary>
    private static void KeepForOpenCv(string name, string path, float[] input, long[] shape, float[] expected)
    {
        if (Environment.GetEnvironmentVariable("DEEPEXT_ONNX_EXPORT_DIR") is not { Length: > 0 } directory)
            return;
        Directory.CreateDirectory(directory);
        File.Copy(path, Path.Combine(directory, $"{name}.onnx"), overwrite: true);
        File.WriteAllText(Path.Combine(directory, $"{name}.json"), System.Text.Json.JsonSerializer.Serialize(new { shape, input, expected }));
    }

    /// <summary>
    /// The architectures exported by the test. AlexNet, VGG-16 (with and without batch norm), ResNet-34 and
    /// ResNet-50 (60-140 M weights for the first three) join with DEEPEXT_ONNX_EXPORT_ALL=1, which the OpenCV
    /// check (check_exports_with_opencv.py) uses; their layer kinds are all in the default cases.
    /// </summary>
    public static IEnumerable<object[]> Architectures()
    {
        yield return new object[] { "lenet", 1, 28, 28 };
        yield return new object[] { "small-cnn", 1, 28, 28 };
        yield return new object[] { "resnet18", 3, 32, 32 };
        yield return new object[] { "googlenet", 3, 32, 40 };
        if (Environment.GetEnvironmentVariable("DEEPEXT_ONNX_EXPORT_ALL") != "1")
            yield break;
        yield return new object[] { "alexnet", 3, 63, 63 };
        yield return new object[] { "vgg16", 1, 32, 32 };
        yield return new object[] { "vgg16-bn", 1, 32, 32 };
        yield return new object[] { "resnet34", 3, 32, 32 };
        yield return new object[] { "resnet50", 3, 33, 47 };
    }

    [TestMethod]
    [DynamicData(nameof(Architectures))]
    public void BuiltInArchitecturesRunInOnnxRuntimeWithOurScores(string name, int channels, int height, int width)
    {
        double error = ExportAndCompare(ImageArchitectures.Get(name), new long[] { channels, height, width }, 5);
        Assert.IsTrue(error < 1e-4, $"{name}: relative error {error:E2}");
    }

    [TestMethod]
    public void InputNormalizationIsInTheGraph()
    {
        // ImageNet's mean and deviation on ResNet-18 (torchvision's pretrained weights), and one channel's own numbers:
        // the graph subtracts and divides before the first layer as the module does, from the same [0, 1] pixels.
        double imageNet = ExportAndCompare(ImageArchitectures.Get("resnet18"), new long[] { 3, 32, 32 }, 5, ImageNormalization.ImageNet, "resnet18-imagenet");
        Assert.IsTrue(imageNet < 1e-4, $"ImageNet normalization: relative error {imageNet:E2}");
        double own = ExportAndCompare(ImageArchitectures.Get("small-cnn"), new long[] { 1, 28, 28 }, 4, new ImageNormalization(new[] { 0.7f }, new[] { 0.05f }), "small-cnn-normalized");
        Assert.IsTrue(own < 1e-4, $"one-channel normalization: relative error {own:E2}");
    }

    [TestMethod]
    [DataRow(224)]
    [DataRow(128)]
    public void ResNet18PackageBackboneExportsWithItsPreprocessingGraph(int size)
    {
        // The ResNet18 package's network as the CNN trainer uses it (pixels × 255, the package's preprocessing graph: RGB to
        // BGR minus its mean image, then the network and a new head): the export runs all of it in ONNX Runtime on real photos,
        // at the size it was exported for and at the one fine-tuning uses by default (its graphs rewritten for 128x128).
        var backbone = ImageArchitectures.FromOnnx(OnnxTestFiles.ResNet18, new OnnxBackboneOptions { PreprocessingPath = OnnxTestFiles.ResNetPreprocess, PixelScale = 255 });
        var definition = new ImageNetwork(backbone, new long[] { 3, size, size }, 4);
        using var module = definition.Build();
        module.eval();
        var (pixels, count) = OnnxTestFiles.PhotoPixels(size);
        var shape = new long[] { count, 3, size, size };
        var input = pixels.Select(p => p / 255f).ToArray();
        float[] expected;
        using (var scope = torch.NewDisposeScope())
        using (var noGrad = torch.no_grad())
            expected = nn.functional.softmax(module.call(torch.tensor(input, shape)), 1).data<float>().ToArray();
        var path = Path.Combine(Path.GetTempPath(), $"resnet18-package-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxModelFile.Write(OnnxExport.Build(definition, module, PredictionTask.MulticlassClassification, "Image"), path);
            var actual = OnnxTestFiles.RunOnnxRuntime(path, input, shape);
            Assert.IsTrue(OnnxTestFiles.RelativeError(actual, expected) < 1e-4, $"relative error {OnnxTestFiles.RelativeError(actual, expected):E2}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void LayerKindsOfAlexNetAndVggExport()
    {
        // AlexNet and VGG-16 are too large for a unit test (their 4096-unit classifiers hold 60-140 M weights); this
        // network has each of their layer kinds (adaptive pooling up and down, dropout, batch norm, LRN) plus the rest.
        ImageArchitectures.Register("onnx-export-test", (shape, classes) => new LayerStack
        {
            { "pad", new ZeroPadding(1, 0, 2, 0) },
            { "conv1", new Convolution(6, 3, stride: 2, padding: ConvolutionPadding.Same) },
            { "bn1", new BatchNormalization() },
            { "elu", new ActivationLayer(new Elu(0.7)) },
            { "lrn", new LocalResponseNormalization(3) },
            { "pool", new AveragePooling(2, stride: 1, padding: 1, countIncludePadding: false) },
            { "up", new AdaptiveAveragePooling(10, 10) },
            { "conv2", new Convolution(4, 3, dilation: 2, padding: ConvolutionPadding.Explicit(1)) },
            { "softplus", new ActivationLayer(new Softplus(2)) },
            { "down", new AdaptiveAveragePooling(4, 4) },
            { "flatten", new Flatten() },
            { "drop", new Dropout(0.4) },
            { "fc1", new FullyConnected(8) },
            { "bn2", new BatchNormalization() },
            { "leaky", new ActivationLayer(new LeakyReLU(0.2)) },
            { "fc2", new FullyConnected(classes) },
        });
        try
        {
            double error = ExportAndCompare(ImageArchitectures.Get("onnx-export-test"), new long[] { 3, 7, 6 }, 3);
            Assert.IsTrue(error < 1e-4, $"relative error {error:E2}");
        }
        finally
        {
            ImageArchitectures.Unregister("onnx-export-test");
        }
    }

    [TestMethod]
    public void OpaqueCustomModuleIsRefusedByName()
    {
        ImageArchitectures.Register("opaque-export-test", (shape, classes) => nn.Sequential(nn.Flatten(), nn.Linear(shape.Aggregate(1L, (a, b) => a * b), classes)));
        try
        {
            var definition = new ImageNetwork(ImageArchitectures.Get("opaque-export-test"), new long[] { 1, 4, 4 }, 2);
            using var module = definition.Build();
            var e = Assert.ThrowsExactly<OnnxFormatException>(() => OnnxExport.Build(definition, module, PredictionTask.MulticlassClassification, "Image"));
            StringAssert.Contains(e.Message, "'opaque-export-test'");
        }
        finally
        {
            ImageArchitectures.Unregister("opaque-export-test");
        }
    }

    [TestMethod]
    public void ApplyOnnxModelOnExportedCnnAndMlpGivesOurScores()
    {
        var ml = new MLContext(seed: 3);
        var random = new Random(5);
        var rows = Enumerable.Range(0, 48).Select(i => new PixelRow
        {
            Label = (i % 3).ToString(System.Globalization.CultureInfo.InvariantCulture),
            Features = Enumerable.Range(0, 28 * 28).Select(p => (float)(random.NextDouble() * 0.5 + (p % 3 == i % 3 ? 0.5 : 0))).ToArray(),
        }).ToArray();
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));

        var cnn = ml.MulticlassClassification.Trainers.Cnn(new CnnTrainer.Options { ImageShape = new Microsoft.ML.DeepExtensions.Vision.Classification.ImageShape(1, 28, 28), Epochs = 1, BatchSize = BatchSize.Of(16) }).Fit(data);
        var mlp = ml.MulticlassClassification.Trainers.Mlp(new MlpTrainer.Options { HiddenLayers = new[] { 16 }, BatchNormalization = true, Epochs = 3 }).Fit(data);
        foreach (var (name, model) in new (string, NetworkPredictionTransformer)[] { ("cnn", cnn), ("mlp", mlp) })
        {
            var path = Path.Combine(Path.GetTempPath(), $"apply-{name}-{Guid.NewGuid():N}.onnx");
            try
            {
                OnnxExport.Save(model, path);
                var ours = model.Transform(data).GetColumn<VBuffer<float>>("Score").SelectMany(v => v.DenseValues()).ToArray();
                var onnx = ml.Transforms.ApplyOnnxModel(new[] { "Score" }, new[] { "Features" }, path).Fit(data).Transform(data)
                    .GetColumn<VBuffer<float>>("Score").SelectMany(v => v.DenseValues()).ToArray();
                Assert.AreEqual(48 * 3, ours.Length);
                Assert.IsTrue(OnnxTestFiles.RelativeError(onnx, ours) < 1e-4, $"{name}: relative error {OnnxTestFiles.RelativeError(onnx, ours):E2}");
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    [TestMethod]
    public void BinaryAndRegressionMlpsExportTheirOutputs()
    {
        // Binary: Score is the logit and Probability its sigmoid; regression: Score in the label's units (the
        // network's output rescaled by the target's standard deviation and mean, inside the graph).
        var ml = new MLContext(seed: 8);
        var random = new Random(9);
        var rows = Enumerable.Range(0, 40).Select(i =>
        {
            var features = Enumerable.Range(0, 28 * 28).Select(_ => (float)random.NextDouble()).ToArray();
            return new TabularRow { Features = features, Positive = features[0] > 0.5f, Price = 1000 + 500 * features[1] };
        }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var binary = ml.BinaryClassification.Trainers.Mlp(new MlpTrainer.Options { LabelColumnName = "Positive", HiddenLayers = new[] { 8 }, Activation = new Tanh(), Epochs = 3 }).Fit(data);
        var regression = ml.Regression.Trainers.Mlp(new MlpTrainer.Options { LabelColumnName = "Price", HiddenLayers = new[] { 8 }, Epochs = 3 }).Fit(data);
        foreach (var (name, model, columns) in new (string, NetworkPredictionTransformer, string[])[]
        {
            ("binary", binary, new[] { "Score", "Probability" }),
            ("regression", regression, new[] { "Score" }),
        })
        {
            var path = Path.Combine(Path.GetTempPath(), $"mlp-{name}-{Guid.NewGuid():N}.onnx");
            try
            {
                OnnxExport.Save(model, path);
                var ours = model.Transform(data);
                var onnx = ml.Transforms.ApplyOnnxModel(columns, new[] { "Features" }, path).Fit(data).Transform(data);
                foreach (var column in columns)
                {
                    var expected = ours.GetColumn<float>(column).ToArray();
                    var actual = onnx.GetColumn<VBuffer<float>>(column).Select(v => v.GetItemOrDefault(0)).ToArray();
                    Assert.IsTrue(OnnxTestFiles.RelativeError(actual, expected) < 1e-4, $"{name} {column}: relative error {OnnxTestFiles.RelativeError(actual, expected):E2}");
                }
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    [TestMethod]
    public void ApplyOnnxModelOnNormalizedClassifiersGivesOurScores()
    {
        // Trained with ImageNet's normalization stored in the model (the default architecture, and an ONNX backbone with
        // a pixel scale): ML.NET's ApplyOnnxModel on the export scores the [0, 1] pixels as our transformer does.
        var ml = new MLContext(seed: 11);
        var data = SmallImages(ml, 24, seed: 12);
        var shape = new Microsoft.ML.DeepExtensions.Vision.Classification.ImageShape(3, 16, 16);
        var models = new (string Name, CnnTrainer.Options Options)[]
        {
            ("default architecture", new CnnTrainer.Options { ImageShape = shape, Normalization = ImageNormalization.ImageNet, Epochs = 1, BatchSize = BatchSize.Of(8) }),
            ("onnx backbone", new CnnTrainer.Options
            {
                Architecture = ImageArchitectures.FromOnnx(OnnxTestFiles.Model("ops_opset9.onnx"), new OnnxBackboneOptions { PixelScale = 2 }),
                ImageShape = shape, Normalization = ImageNormalization.ImageNet, Epochs = 1, BatchSize = BatchSize.Of(8),
            }),
        };
        foreach (var (name, options) in models)
        {
            var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(data);
            var path = Path.Combine(Path.GetTempPath(), $"normalized-{Guid.NewGuid():N}.onnx");
            try
            {
                OnnxExport.Save(model, path);
                var graph = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph;
                CollectionAssert.AreEqual(new[] { "Sub", "Div" }, graph.Node.Take(2).Select(n => n.OpType).ToArray(), $"{name}: the graph normalizes first");
                var ours = model.Transform(data).GetColumn<VBuffer<float>>("Score").SelectMany(v => v.DenseValues()).ToArray();
                var onnx = ml.Transforms.ApplyOnnxModel(new[] { "Score" }, new[] { "Features" }, path).Fit(data).Transform(data)
                    .GetColumn<VBuffer<float>>("Score").SelectMany(v => v.DenseValues()).ToArray();
                Assert.IsTrue(OnnxTestFiles.RelativeError(onnx, ours) < 1e-4, $"{name}: relative error {OnnxTestFiles.RelativeError(onnx, ours):E2}");
            }
            finally
            {
                File.Delete(path);
                model.Dispose();
            }
        }
    }

    /// <summary>Two classes of random 3x16x16 images in [0, 1], the second brighter; labels as keys.</summary>
    private static IDataView SmallImages(MLContext ml, int count, int seed)
    {
        var random = new Random(seed);
        var rows = Enumerable.Range(0, count).Select(i => new SmallImageRow
        {
            Label = (i % 2).ToString(System.Globalization.CultureInfo.InvariantCulture),
            Features = Enumerable.Range(0, 3 * 16 * 16).Select(p => (float)(random.NextDouble() * 0.6 + (i % 2) * 0.3)).ToArray(),
        }).ToArray();
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));
    }

    [TestMethod]
    public void FineTunedOnnxBackboneExportsWithItsPreprocessing()
    {
        // The PyTorch operator graph as a backbone (features: its 20 hidden units), fine-tuned by the CNN trainer,
        // exported with the pixel scale, and scored by ONNX Runtime as our transformer scores it.
        var backbone = ImageArchitectures.FromOnnx(OnnxTestFiles.Model("ops_opset9.onnx"), new OnnxBackboneOptions { PixelScale = 2 });
        var ml = new MLContext(seed: 4);
        var data = SmallImages(ml, 24, seed: 6);
        var model = ml.MulticlassClassification.Trainers.Cnn(new CnnTrainer.Options
        {
            Architecture = backbone, ImageShape = new Microsoft.ML.DeepExtensions.Vision.Classification.ImageShape(3, 16, 16), Epochs = 2, BatchSize = BatchSize.Of(8),
        }).Fit(data);
        // Fine-tuned: the backbone's weights moved away from the file's, the new head has one output per class.
        var trained = (OnnxBackboneNetwork)model.Module;
        Assert.AreEqual(2L, trained.Head!.out_features);
        using (var original = Microsoft.ML.DeepExtensions.Vision.Onnx.Import.OnnxGraphModule.Import(OnnxTestFiles.Model("ops_opset9.onnx")))
        {
            var before = original.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            Assert.IsTrue(trained.Backbone.named_parameters().Any(p => !p.parameter.cpu().allclose(before[p.name])), "Fit() trained the imported weights");
        }

        var path = Path.Combine(Path.GetTempPath(), $"backbone-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxExport.Save(model, path);
            var ours = model.Transform(data).GetColumn<VBuffer<float>>("Score").SelectMany(v => v.DenseValues()).ToArray();
            var onnx = ml.Transforms.ApplyOnnxModel(new[] { "Score" }, new[] { "Features" }, path).Fit(data).Transform(data)
                .GetColumn<VBuffer<float>>("Score").SelectMany(v => v.DenseValues()).ToArray();
            Assert.IsTrue(OnnxTestFiles.RelativeError(onnx, ours) < 1e-4, $"relative error {OnnxTestFiles.RelativeError(onnx, ours):E2}");

            // model.zip keeps the graph's structure: the loaded model scores the same without the ONNX file.
            var zip = Path.ChangeExtension(path, ".zip");
            ml.Model.Save(model, data.Schema, zip);
            var loaded = new MLContext().RegisterDeepExtensions().Model.Load(zip, out _);
            var reloaded = loaded.Transform(data).GetColumn<VBuffer<float>>("Score").SelectMany(v => v.DenseValues()).ToArray();
            File.Delete(zip);
            Assert.IsTrue(OnnxTestFiles.RelativeError(reloaded, ours) < 1e-6, "loaded model");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class TabularRow
    {
        [VectorType(28 * 28)]
        public float[] Features { get; set; } = Array.Empty<float>();

        public bool Positive { get; set; }

        public float Price { get; set; }
    }

    private sealed class SmallImageRow
    {
        public string Label { get; set; } = "";

        [VectorType(3 * 16 * 16)]
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    private sealed class PixelRow
    {
        public string Label { get; set; } = "";

        [VectorType(28 * 28)]
        public float[] Features { get; set; } = Array.Empty<float>();
    }
}
