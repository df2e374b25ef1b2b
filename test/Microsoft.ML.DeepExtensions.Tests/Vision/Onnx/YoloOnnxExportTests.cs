using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Tests.Cli;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Yolo.Training;
using Microsoft.ML.DeepExtensions.Vision;
using Microsoft.ML.DeepExtensions.Vision.Data.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;
using Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo.Training;
using Microsoft.ML.DeepExtensions.Vision.Onnx;
using Microsoft.ML.DeepExtensions.Vision.Onnx.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Onnx;

/// <summary>
/// YOLO detectors exported to ONNX (YOLOv5's candidate layout): ONNX Runtime's candidates equal our TorchSharp
/// forward and decode for each built-in architecture, and for a YOLO trained one epoch on the shipped detection
/// sample the project's ONNX detector finds the trained detector's detections. With DEEPEXT_ONNX_EXPORT_DIR set, the
/// exports are kept for the independent check with OpenCV (check_yolo_exports_with_opencv.py).
/// </summary>
[TestClass]
public sealed class YoloOnnxExportTests
{
    private static DetectionDataset _test = null!;
    private static DarknetYoloDetector _model = null!;
    private static string _onnx = "";

    [ClassInitialize]
    public static void TrainOneEpoch(TestContext context)
    {
        TorchBackend.EnsureStarted();
        var folder = CliRunner.Sample("detection-sample");
        var train = DetectionDataset.Read(Path.Combine(folder, "annotations", "instances_train.json"));
        var test = DetectionDataset.Read(Path.Combine(folder, "annotations", "instances_test.json"));
        _test = new DetectionDataset(test.ClassNames, test.Images.Take(12));
        var options = YoloTrainerTests.SmallOptions(epochs: 1);
        options.ImageSize = 128;
        // COCO evaluation's usual threshold: after one epoch no score reaches the default 0.05 yet.
        options.ConfidenceThreshold = 0.001f;
        var ml = new MLContext(seed: 1);
        _model = ml.ObjectDetection().Trainers.Yolo(options).Fit(new DetectionDataset(train.ClassNames, train.Images.Take(48)).ToDataView());
        _onnx = Path.Combine(Path.GetTempPath(), $"dx-yolo-export-{Guid.NewGuid():N}.onnx");
        OnnxExport.Save(_model, _onnx);
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        _model?.Dispose();
        if (_onnx.Length > 0)
            File.Delete(_onnx);
    }

    public static IEnumerable<object[]> Architectures()
    {
        yield return new object[] { "yolov3-tiny", 64 };
        yield return new object[] { "yolov3-tiny-3l:width=0.5", 64 };
        yield return new object[] { "yolov3:width=0.25", 64 };
    }

    [TestMethod]
    [DynamicData(nameof(Architectures))]
    public void BuiltInArchitecturesGiveOurDecodedCandidatesInOnnxRuntime(string architecture, int side)
    {
        var config = YoloArchitectures.Get(architecture);
        config.SetClassCount(3);
        config.SetInputSize(side, side);
        using var network = new DarknetNetwork(config);
        RandomizeBatchNorms(network);
        network.eval();
        var path = Path.Combine(Path.GetTempPath(), $"dx-yolo-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxModelFile.Write(YoloOnnxGraph.Build(network, new[] { "a", "b", "c" }, architecture), path);
            using var scope = torch.NewDisposeScope();
            var input = torch.rand(new long[] { 2, 3, side, side }, generator: new Generator(11));
            var (boxError, probabilityError) = Compare(network, input, side, path, out var expectedRows);
            KeepForOpenCv(architecture.Replace(':', '_').Replace('=', '-'), path, input, side, expectedRows);
            Console.WriteLine($"{architecture}: ONNX Runtime vs TorchSharp, box error {boxError:E2} of the side, probability error {probabilityError:E2}");
            Assert.IsTrue(boxError < 1e-4, $"{architecture}: box error {boxError:E2} of the input side");
            Assert.IsTrue(probabilityError < 1e-4, $"{architecture}: probability error {probabilityError:E2}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void OtherDarknetLayerFormsExportToo()
    {
        // What the built-in cfgs do not use: a maxpool whose windows never reach the last column (padding=0 on an odd
        // size: cropped), a size-3 stride-1 maxpool, route groups (YOLOv4-tiny's), a two-layer route, a shortcut with an
        // activation, mish, swish, relu and logistic, and a grid whose stride is not whole (35 / 18).
        const string Cfg = """
            [net]
            width=35
            height=35
            channels=3

            [convolutional]
            batch_normalize=1
            filters=8
            size=3
            stride=1
            pad=1
            activation=mish

            [maxpool]
            size=2
            stride=2
            padding=0

            [convolutional]
            batch_normalize=1
            filters=8
            size=3
            stride=1
            pad=1
            activation=swish

            [maxpool]
            size=3
            stride=1

            [route]
            layers=-1
            groups=2
            group_id=1

            [convolutional]
            filters=8
            size=1
            stride=1
            activation=relu

            [shortcut]
            from=-4
            activation=logistic

            [route]
            layers=-1,-3

            [maxpool]
            size=2
            stride=2

            [upsample]
            stride=2

            [convolutional]
            filters=21
            size=1
            stride=1
            activation=linear

            [yolo]
            mask=0,1,2
            anchors=4,5, 9,12, 20,18
            classes=2
            num=3
            """;
        using var network = new DarknetNetwork(DarknetConfig.Parse(Cfg, "variants.cfg"));
        Assert.AreEqual(17, network.Layers[1].OutputShape.Width, "the cropping maxpool");
        Assert.AreEqual(18, network.YoloLayers[0].GridWidth);
        RandomizeBatchNorms(network);
        network.eval();
        var path = Path.Combine(Path.GetTempPath(), $"dx-yolo-variants-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxModelFile.Write(YoloOnnxGraph.Build(network, new[] { "a", "b" }, "variants"), path);
            using var scope = torch.NewDisposeScope();
            var input = torch.rand(new long[] { 2, 3, 35, 35 }, generator: new Generator(13));
            var (boxError, probabilityError) = Compare(network, input, 35, path, out var expectedRows);
            KeepForOpenCv("layer-variants", path, input, 35, expectedRows);
            Console.WriteLine($"layer variants: ONNX Runtime vs TorchSharp, box error {boxError:E2} of the side, probability error {probabilityError:E2}");
            Assert.IsTrue(boxError < 1e-4, $"box error {boxError:E2} of the input side");
            Assert.IsTrue(probabilityError < 1e-4, $"probability error {probabilityError:E2}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void TheTrainedDetectorsCandidatesOnRealImagesMatchOurForward()
    {
        int side = _model.ImageSize;
        using var scope = torch.NewDisposeScope();
        var input = LetterboxedTestImages(4);
        var (boxError, probabilityError) = Compare(_model.Network, input, side, _onnx, out var expectedRows);
        KeepForOpenCv("trained-yolov3-tiny", _onnx, input, side, expectedRows);
        Console.WriteLine($"trained: ONNX Runtime vs TorchSharp, box error {boxError:E2} of the side, probability error {probabilityError:E2}");
        Assert.IsTrue(boxError < 1e-4, $"box error {boxError:E2} of the input side");
        Assert.IsTrue(probabilityError < 1e-4, $"probability error {probabilityError:E2}");
    }

    [TestMethod]
    public void TheOnnxDetectorFindsTheTrainedDetectorsDetections()
    {
        var ml = new MLContext(seed: 1).RegisterDeepExtensions();
        var view = _test.ToDataView();
        // The trained detector's detections, read back from its model.zip.
        List<YoloTrainerTests.RowDetections> expected;
        string trainedZip = Path.Combine(Path.GetTempPath(), $"dx-yolo-trained-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(_model, view.Schema, trainedZip);
            var trained = ml.Model.Load(trainedZip, out _);
            expected = YoloTrainerTests.Detections(trained.Transform(view));
            (trained as IDisposable)?.Dispose();
        }
        finally
        {
            File.Delete(trainedZip);
        }
        Assert.IsTrue(expected.Sum(e => e.Scores.Length) > 0, "the trained model finds something");

        using var onnx = YoloObjectDetector.Create(ml, new YoloObjectDetector.Options
        {
            ModelPath = _onnx,
            Version = YoloVersion.V5,
            ConfidenceThreshold = _model.ConfidenceThreshold,
            IouThreshold = _model.IouThreshold,
            MaxDetections = _model.MaxDetections,
            Device = ComputeDevice.Cpu,
        });
        Assert.IsTrue(onnx.MultiLabel, "the export's multi_label metadata turns multi-label on");
        CollectionAssert.AreEqual(_model.ClassNames.ToArray(), onnx.ClassNames.ToArray(), "class names from the export's metadata");
        Assert.AreEqual((_model.ImageSize, _model.ImageSize), onnx.InputSize);
        var actual = YoloTrainerTests.Detections(onnx.Transform(view));
        AssertSameDetections(expected, actual, "ONNX export read by YoloObjectDetector");

        // The ONNX detector's own model.zip keeps multi-label (format version 2).
        string zip = Path.Combine(Path.GetTempPath(), $"dx-yolo-onnx-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(onnx, view.Schema, zip);
            var loaded = ml.Model.Load(zip, out _);
            Assert.IsTrue(((YoloObjectDetector)loaded).MultiLabel);
            AssertSameDetections(expected, YoloTrainerTests.Detections(loaded.Transform(view)), "after the ONNX detector's model.zip");
            (loaded as IDisposable)?.Dispose();
        }
        finally
        {
            File.Delete(zip);
        }
    }

    [TestMethod]
    public void TheEndToEndExportHoldsTheTrainedDetectorsSelection()
    {
        var ml = new MLContext(seed: 1);
        var view = _test.ToDataView();
        var expected = YoloTrainerTests.Detections(_model.Transform(view));
        string path = Path.Combine(Path.GetTempPath(), $"dx-yolo-nms-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxExport.Save(_model, path, YoloVersion.EndToEnd);
            // The graph applies the thresholds; the reader only drops the zero rows of images with fewer detections.
            using var onnx = YoloObjectDetector.Create(ml, new YoloObjectDetector.Options
            {
                ModelPath = path,
                Version = YoloVersion.EndToEnd,
                ConfidenceThreshold = 0,
                MaxDetections = _model.MaxDetections,
                Device = ComputeDevice.Cpu,
            });
            AssertSameDetections(expected, YoloTrainerTests.Detections(onnx.Transform(view)), "end-to-end ONNX export (NMS in the graph)");
        }
        finally
        {
            File.Delete(path);
        }
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => OnnxExport.Save(_model, path, YoloVersion.V8));
    }

    [TestMethod]
    public void TheEndToEndGraphGivesEachImageItsOwnDetectionsAndZeroRowsAfterThem()
    {
        // A threshold that leaves the four images fewer than MaxDetections detections each, different counts: the
        // graph's per-image masking and padding against the trained detector's own selection at that threshold.
        using var scope = torch.NewDisposeScope();
        var network = _model.Network;
        var input = LetterboxedTestImages(4);
        var detector = new YoloTrainableDetector(network, network.YoloLayers, _model.ImageSize, default);
        Tensor scores;
        using (torch.no_grad())
            scores = detector.Candidates(network.forward(input)).Scores;
        // Midway between the 150th and 151st best scores: a threshold equal to a score would make the result hang on
        // the last bit of one sigmoid, which ONNX Runtime and LibTorch may round differently.
        var sorted = scores.flatten().sort(descending: true).Values;
        float confidence = (sorted[149].item<float>() + sorted[150].item<float>()) / 2;
        detector.Thresholds = new YoloThresholds(confidence, 0.45f, 100);
        IReadOnlyList<ObjectDetections> expected;
        using (torch.no_grad())
            expected = detector.Detect(input);

        string path = Path.Combine(Path.GetTempPath(), $"dx-yolo-nms-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxModelFile.Write(YoloOnnxGraph.Build(network, _model.ClassNames, "padding", detector.Thresholds), path);
            var rows = OnnxTestFiles.RunOnnxRuntime(path, input.data<float>().ToArray(), input.shape);
            Assert.AreEqual(4 * 100 * 6, rows.Length, "[N, MaxDetections, 6]");
            var counts = new int[4];
            for (int i = 0; i < 4; i++)
            {
                var image = Enumerable.Range(0, 100).Select(k => rows.AsSpan((i * 100 + k) * 6, 6).ToArray()).ToArray();
                var real = image.TakeWhile(r => r[4] > 0).ToArray();
                Assert.IsTrue(image.Skip(real.Length).All(r => r.All(v => v == 0)), $"image {i}: the rows after its {real.Length} detections are zero");
                counts[i] = real.Length;
                var actual = real.Select(r => new DetectedObject(r[0], r[1], r[2], r[3], (int)r[5], r[4])).ToArray();
                AssertSameDetections(Enumerable.Range(0, expected[i].Count).Select(k => expected[i][k]).ToArray(), actual, $"image {i}");
            }
            Assert.IsTrue(counts.All(c => c < 100) && counts.Distinct().Count() > 1, $"the images have fewer than 100 detections each, not all as many: {string.Join(", ", counts)}");
            Console.WriteLine($"end-to-end graph at confidence {confidence}: {string.Join(", ", counts)} detections");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void ALayerWithoutOnnxMappingIsRefusedByName()
    {
        const string Head = "[convolutional]\nfilters=21\nsize=1\nstride=1\nactivation=linear\n\n";
        const string Yolo = "[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=2\nnum=3\n";
        const string Net = "[net]\nwidth=32\nheight=32\nchannels=3\n\n";
        var cases = new (string Cfg, string[] Named)[]
        {
            (Net + Head + "[avgpool]\n\n" + Yolo, new[] { "layers.1", "[avgpool]", "bad.cfg line 12" }),
            (Net + "[convolutional]\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=loggy\n\n" + Head + Yolo, new[] { "layers.0", "activation=loggy", "bad.cfg line 6" }),
        };
        foreach (var (cfg, named) in cases)
        {
            using var network = new DarknetNetwork(DarknetConfig.Parse(cfg, "bad.cfg"));
            var e = Assert.ThrowsExactly<OnnxFormatException>(() => YoloOnnxGraph.Build(network, new[] { "a", "b" }, "bad"));
            foreach (var part in named)
                StringAssert.Contains(e.Message, part);
        }
        using var classifier = new DarknetNetwork(DarknetConfig.Parse(Net + "[convolutional]\nfilters=4\nsize=1\nactivation=leaky\n", "classifier.cfg"));
        StringAssert.Contains(Assert.ThrowsExactly<OnnxFormatException>(() => YoloOnnxGraph.Build(classifier, new[] { "a" }, "c")).Message, "no [yolo] layer");
    }

    /// <summary>
    /// Runs <paramref name="network"/> on <paramref name="input"/> in TorchSharp (decoded as the trained detector decodes;
    /// boxes as decoded, which its NMS compares) and the export at <paramref name="path"/> in ONNX Runtime; returns
    /// the largest box error relative to the input side and the largest objectness or class-probability error.
    /// </summary>
    private static (double Boxes, double Probabilities) Compare(DarknetNetwork network, Tensor input, int side, string path, out float[] expectedRows)
    {
        Tensor[] raw;
        using (torch.no_grad())
            raw = network.forward(input.to(network.parameters().First().device));
        var decoded = network.YoloLayers.Select((head, h) => new YoloLayerDecoder(head).Decode(raw[h])).ToArray();
        var boxes = torch.cat(decoded.Select(d => d.Boxes).ToArray(), 1).cpu();
        var objectness = torch.cat(decoded.Select(d => d.Objectness).ToArray(), 1).cpu();
        var probabilities = torch.cat(decoded.Select(d => d.ClassProbabilities).ToArray(), 1).cpu();
        var classSigmoids = torch.cat(network.YoloLayers.Select((head, h) =>
        {
            var arranged = new YoloLayerDecoder(head).Arrange(raw[h]);
            return arranged.reshape(arranged.shape[0], -1, arranged.shape[4])[TensorIndex.Ellipsis, TensorIndex.Slice(5, null)].sigmoid();
        }).ToArray(), 1).cpu();
        long n = input.shape[0], count = boxes.shape[1], classes = probabilities.shape[2];
        int width = (int)classes + 5;

        var rows = OnnxTestFiles.RunOnnxRuntime(path, input.cpu().data<float>().ToArray(), input.shape);
        Assert.AreEqual(n * count * width, rows.Length, "output size [N, P, 5 + C]");
        var b = boxes.data<float>().ToArray();
        var o = objectness.data<float>().ToArray();
        var p = probabilities.data<float>().ToArray();
        var sigmoids = classSigmoids.data<float>().ToArray();
        expectedRows = new float[rows.Length];
        double boxError = 0, probabilityError = 0;
        for (long k = 0; k < n * count; k++)
        {
            var row = rows.AsSpan((int)(k * width), width);
            float[] corners = { row[0] - row[2] / 2, row[1] - row[3] / 2, row[0] + row[2] / 2, row[1] + row[3] / 2 };
            for (int j = 0; j < 4; j++)
                boxError = Math.Max(boxError, Math.Abs(corners[j] - b[4 * k + j]) / side);
            probabilityError = Math.Max(probabilityError, Math.Abs(row[4] - o[k]));
            for (int c = 0; c < classes; c++)
            {
                // Darknet's class probability, objectness × σ(t_c), and the column itself.
                probabilityError = Math.Max(probabilityError, Math.Abs(row[5 + c] * row[4] - p[k * classes + c]));
                probabilityError = Math.Max(probabilityError, Math.Abs(row[5 + c] - sigmoids[k * classes + c]));
            }

            // The rows our decode implies, for the OpenCV check: centre and size of the clamped box, σ(to), σ(t_c).
            var expected = expectedRows.AsSpan((int)(k * width), width);
            expected[0] = (b[4 * k] + b[4 * k + 2]) / 2;
            expected[1] = (b[4 * k + 1] + b[4 * k + 3]) / 2;
            expected[2] = b[4 * k + 2] - b[4 * k];
            expected[3] = b[4 * k + 3] - b[4 * k + 1];
            expected[4] = o[k];
            for (int c = 0; c < classes; c++)
                expected[5 + c] = sigmoids[k * classes + c];
        }
        foreach (var d in decoded)
            d.Dispose();
        foreach (var t in raw)
            t.Dispose();
        return (boxError, probabilityError);
    }

    private static void AssertSameDetections(IReadOnlyList<YoloTrainerTests.RowDetections> expected, IReadOnlyList<YoloTrainerTests.RowDetections> actual, string what)
    {
        Assert.AreEqual(expected.Count, actual.Count, what);
        double boxError = 0, scoreError = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            var (box, score) = AssertSameDetections(Objects(expected[i]), Objects(actual[i]), $"{what}, image {i}");
            (boxError, scoreError) = (Math.Max(boxError, box), Math.Max(scoreError, score));
        }
        Console.WriteLine($"{what}: {expected.Sum(e => e.Scores.Length)} detections, largest box difference {boxError:E2} pixels, score {scoreError:E2}");
    }

    private static DetectedObject[] Objects(YoloTrainerTests.RowDetections row) => row.Scores.Select((score, k) =>
        new DetectedObject(row.Boxes[4 * k], row.Boxes[4 * k + 1], row.Boxes[4 * k + 2], row.Boxes[4 * k + 3], (int)row.Labels[k] - 1, score)).ToArray();

    /// <summary>
    /// The same detections: as many, and each expected one has its own actual one of the same class with the score within
    /// 1e-5 and the box within 1e-3 pixels. Matched as sets: detections whose scores differ by float rounding may come
    /// in either order.
    /// </summary>
    /// <returns>The largest box and score differences of the matched pairs.</returns>
    internal static (double Box, double Score) AssertSameDetections(IReadOnlyList<DetectedObject> expected, IReadOnlyList<DetectedObject> actual, string what)
    {
        Assert.AreEqual(expected.Count, actual.Count, $"{what}: detections; expected {string.Join("; ", expected)}; actual {string.Join("; ", actual)}");
        var unmatched = actual.ToList();
        double boxError = 0, scoreError = 0;
        foreach (var e in expected)
        {
            int match = unmatched.FindIndex(a => a.ClassIndex == e.ClassIndex && Math.Abs(a.Score - e.Score) <= 1e-5f
                && Math.Abs(a.X0 - e.X0) <= 1e-3f && Math.Abs(a.Y0 - e.Y0) <= 1e-3f && Math.Abs(a.X1 - e.X1) <= 1e-3f && Math.Abs(a.Y1 - e.Y1) <= 1e-3f);
            Assert.IsTrue(match >= 0, $"{what}: no detection matches {e}");
            var a = unmatched[match];
            boxError = new[] { a.X0 - e.X0, a.Y0 - e.Y0, a.X1 - e.X1, a.Y1 - e.Y1 }.Select(d => (double)Math.Abs(d)).Append(boxError).Max();
            scoreError = Math.Max(scoreError, Math.Abs(a.Score - e.Score));
            unmatched.RemoveAt(match);
        }
        return (boxError, scoreError);
    }

    /// <summary>The first <paramref name="count"/> test images letterboxed to the network input, as both detectors prepare them.</summary>
    private static Tensor LetterboxedTestImages(int count)
    {
        int side = _model.ImageSize;
        int plane = 3 * side * side;
        var pixels = new float[count * plane];
        for (int i = 0; i < count; i++)
        {
            using var image = MLImage.CreateFromFile(_test.Images[i].Path);
            using var boxed = ImageResizeMapping.Letterbox(image.Width, image.Height, side, side).Apply(image);
            ImageTensorWriter.WriteRgbPlanar(boxed, pixels.AsSpan(i * plane, plane), 1 / 255f);
        }
        return torch.tensor(pixels, new long[] { count, 3, side, side });
    }

    private static void RandomizeBatchNorms(DarknetNetwork network)
    {
        using var noGrad = torch.no_grad();
        var generator = new Generator(5);
        foreach (var (name, tensor) in network.named_buffers().Concat(network.named_parameters().Select(p => (p.name, (Tensor)p.parameter))))
        {
            if (name.EndsWith("bn.running_mean", StringComparison.Ordinal) || name.EndsWith("bn.bias", StringComparison.Ordinal))
                tensor.uniform_(-0.3, 0.3, generator);
            else if (name.EndsWith("bn.running_var", StringComparison.Ordinal) || name.EndsWith("bn.weight", StringComparison.Ordinal))
                tensor.uniform_(0.5, 2, generator);
        }
    }

    /// <summary>With DEEPEXT_ONNX_EXPORT_DIR set, keeps the export, its input and the rows our decode implies for check_yolo_exports_with_opencv.py.</summary>
    private static void KeepForOpenCv(string name, string path, Tensor input, int side, float[] expected)
    {
        if (Environment.GetEnvironmentVariable("DEEPEXT_ONNX_EXPORT_DIR") is not { Length: > 0 } directory)
            return;
        Directory.CreateDirectory(directory);
        File.Copy(path, Path.Combine(directory, $"yolo-{name}.onnx"), overwrite: true);
        File.WriteAllText(Path.Combine(directory, $"yolo-{name}.json"), System.Text.Json.JsonSerializer.Serialize(new
        {
            shape = input.shape,
            input = input.cpu().data<float>().ToArray(),
            side,
            expected,
        }));
    }
}
