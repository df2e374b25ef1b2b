using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Darknet;

/// <summary>
/// <see cref="DarknetNetwork"/>, <see cref="DarknetWeights"/> and <see cref="YoloLayerDecoder"/> against Darknet itself:
/// darknet_golden.json, written by generate_darknet_golden.py beside this file from Debian's libdarknet.so. Set
/// DARKNET_GOLDEN_DIR to a folder written by <c>generate_darknet_golden.py --full DIR</c> to check full-size
/// yolov3-tiny (416 x 416) and yolov3 (608 x 608) with 80 classes the same way.
/// </summary>
[TestClass]
public sealed class DarknetParityTests
{
    /// <summary>|ours - Darknet| ≤ Tolerance·(1 + |Darknet|) for every yolo output, box and probability.</summary>
    private const double Tolerance = 1e-4;

    private static readonly Lazy<JsonElement> Root = new(() =>
    {
        string directory = Environment.GetEnvironmentVariable("DARKNET_GOLDEN_DIR") is { Length: > 0 } custom ? custom : DarknetTestFiles.Directory;
        return JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "darknet_golden.json"))).RootElement;
    });

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    [TestMethod]
    public void YoloV3Tiny_MatchesDarknet() => CheckCase("yolov3-tiny");

    [TestMethod]
    public void YoloV3_MatchesDarknet() => CheckCase("yolov3");

    /// <summary>cfg/layers.test.cfg: every layer type (crop, grouped convolutions, shortcuts between maps of different sizes, route, upsample, avgpool, connected, dropout, softmax, cost) and most activations.</summary>
    [TestMethod]
    public void EveryLayerType_MatchesDarknet() => CheckCase("layers");

    [TestMethod]
    public void ShippedConfigs_HaveDarknetsLayerShapes()
    {
        var shapes = DarknetTestFiles.Golden.GetProperty("shapes");
        foreach (string name in DarknetTestFiles.ShippedConfigs)
        {
            using var scope = torch.NewDisposeScope();
            // On the meta device: shapes without allocating VGG-16's 138 million weights.
            using var network = new DarknetNetwork(DarknetTestFiles.Config(name), device: new Device(DeviceType.META));
            var expected = shapes.GetProperty(name).EnumerateArray().Select(s => s.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
            Assert.AreEqual(expected.Length, network.Layers.Count, $"{name}: layer count");
            for (int i = 0; i < expected.Length; i++)
            {
                var layer = network.Layers[i];
                if (expected[i].All(v => v == 0))
                {
                    // Darknet leaves out_c/out_h/out_w unset on its softmax layer; the size is the input's.
                    Assert.AreEqual(DarknetLayerKind.Softmax, layer.Kind, $"{name} layer {i}: Darknet reports no shape");
                    Assert.AreEqual(network.Layers[i - 1].OutputShape, layer.OutputShape, $"{name} layer {i}");
                    continue;
                }

                var actual = new[] { layer.OutputShape.Channels, layer.OutputShape.Height, layer.OutputShape.Width };
                CollectionAssert.AreEqual(expected[i], actual, $"{name} layer {i} ({layer.Section.Header}): C, H, W");
            }
        }
    }

    private void CheckCase(string name)
    {
        var golden = Root.Value;
        var testCase = golden.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        using var scope = torch.NewDisposeScope();
        var config = DarknetConfig.Load(Path.Combine(DarknetTestFiles.Directory, testCase.GetProperty("cfg").GetString()!));
        using var network = new DarknetNetwork(config);
        network.eval();

        // 1. The weights: the same bytes Darknet loaded, read into the network.
        var bytes = DarknetTestWeights.Build(network, testCase.GetProperty("seed").GetInt32(), testCase.GetProperty("gain").GetSingle());
        Assert.AreEqual(testCase.GetProperty("weights_sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(bytes)),
            "the rebuilt weights file differs from the one Darknet loaded");
        using (var file = new MemoryStream(bytes, writable: false))
            Assert.AreEqual(DarknetWeightsHeader.Current(), DarknetWeights.Load(network, file, name + ".weights"));

        // 2. What we write is what Darknet's save_weights wrote for the same network.
        using (var written = new MemoryStream(bytes.Length))
        {
            DarknetWeights.Save(network, written);
            Assert.AreEqual(testCase.GetProperty("darknet_saved_sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(written.GetBuffer().AsSpan(0, (int)written.Length))),
                "our .weights differs from Darknet's save_weights output");
        }

        int width = testCase.GetProperty("width").GetInt32(), height = testCase.GetProperty("height").GetInt32();
        float threshold = testCase.GetProperty("thresh").GetSingle();
        float nms = testCase.GetProperty("nms").GetSingle();
        double worst = 0;
        foreach (var image in testCase.GetProperty("images").EnumerateArray())
        {
            string photo = image.GetProperty("name").GetString()!;
            var pixels = Convert.FromBase64String(golden.GetProperty("photos").GetProperty(image.GetProperty("photo").GetString()!).GetString()!);
            using var input = torch.tensor(pixels.Select(b => b / 255f).ToArray(), new long[] { 1, 3, height, width });
            Tensor[] outputs;
            using (torch.no_grad())
                outputs = network.forward(input);

            if (image.TryGetProperty("output", out var networkOutput))
            {
                // A network without [yolo] layers: its output, network_predict's.
                Assert.AreEqual(0, network.YoloLayers.Count);
                worst = Math.Max(worst, AssertClose(Floats(networkOutput), outputs.Single().data<float>().ToArray(), $"{name}/{photo} output"));
                continue;
            }

            // 3. Every [yolo] layer's output (after Darknet's logistic on x, y, objectness and classes).
            var yolo = image.GetProperty("yolo").EnumerateArray().ToArray();
            Assert.AreEqual(yolo.Length, outputs.Length, $"{name}/{photo}: yolo layers");
            for (int y = 0; y < yolo.Length; y++)
            {
                var head = network.YoloLayers[y];
                Assert.AreEqual(yolo[y].GetProperty("layer").GetInt32(), head.LayerIndex);
                var expected = Floats(yolo[y].GetProperty("output"));
                var activated = DarknetActivated(outputs[y], head).data<float>().ToArray();
                worst = Math.Max(worst, AssertClose(expected, activated, $"{name}/{photo} yolo layer {head.LayerIndex}"));
            }

            // 4. get_network_boxes (relative centre boxes, objectness, thresholded class probabilities), then do_nms_sort.
            var detections = image.GetProperty("detections");
            int classes = detections.GetProperty("classes").GetInt32();
            // Boxes as x0 y0 x1 y1 relative to the network size (the centre of a huge box is not recoverable to 1e-4 from
            // its corners, and pixels would make the tolerance depend on the input size).
            var darknetBoxes = Corners(Floats(detections.GetProperty("boxes")));
            var darknetProbs = Floats(detections.GetProperty("probs"));
            var darknet = Floats(detections.GetProperty("objectness")).Select((objectness, k) => new Detection(
                darknetBoxes.AsSpan(4 * k, 4).ToArray(), objectness, darknetProbs.AsSpan(k * classes, classes).ToArray(), false)).ToList();
            Assert.AreEqual(detections.GetProperty("count").GetInt32(), darknet.Count);
            var ours = Detections(network, outputs, threshold);
            worst = Math.Max(worst, MatchDetections(darknet, ours, threshold, $"{name}/{photo}"));

            // 5. do_nms_sort on Darknet's detections keeps, per class, what the project's NMS keeps.
            if (darknet.Count > 0)
            {
                var (compared, kept) = CheckNms(darknet, classes, nms, Corners(Floats(detections.GetProperty("nms_boxes"))), Floats(detections.GetProperty("nms_probs")), $"{name}/{photo}");
                TestContext.WriteLine($"{name}/{photo}: {darknet.Count} detections above {threshold}; NMS compared on {compared} of {classes} classes ({kept} boxes kept)");
            }
        }

        TestContext.WriteLine($"{name}: largest |ours - Darknet| / (1 + |Darknet|) = {worst:E2}");
    }

    // A prediction above the threshold; Borderline: its objectness is so close to the threshold that float rounding
    // may put it on either side in Darknet.
    private sealed record Detection(float[] Box, float Objectness, float[] Probabilities, bool Borderline);

    private const float Margin = (float)(2 * Tolerance);

    // Both lists are in get_network_boxes' order; a detection only one side reports must be borderline.
    private static double MatchDetections(List<Detection> darknet, List<Detection> ours, float threshold, string what)
    {
        double worst = 0;
        int o = 0;
        for (int k = 0; k < darknet.Count; k++)
        {
            var d = darknet[k];
            while (o < ours.Count && !Close(ours[o], d))
            {
                Assert.IsTrue(ours[o].Borderline, $"{what}: we report a detection (objectness {ours[o].Objectness}) where Darknet's next is detection {k} (objectness {d.Objectness}).");
                o++;
            }

            if (o == ours.Count)
            {
                Assert.IsTrue(d.Objectness <= threshold + Margin, $"{what}: Darknet's detection {k} (objectness {d.Objectness}) is missing from ours.");
                continue;
            }

            var mine = ours[o++];
            worst = Math.Max(worst, AssertClose(d.Box, mine.Box, $"{what} detection {k} box", BoxErrorScale(d.Box)));
            worst = Math.Max(worst, AssertClose(new[] { d.Objectness }, new[] { mine.Objectness }, $"{what} detection {k} objectness"));
            for (int c = 0; c < d.Probabilities.Length; c++)
            {
                float expected = d.Probabilities[c], actual = mine.Probabilities[c];
                // Darknet zeroes a probability not above the threshold; near it, either side may have zeroed it.
                if ((expected == 0 && actual <= threshold + Margin) || (actual == 0 && expected <= threshold + Margin))
                    continue;
                worst = Math.Max(worst, AssertClose(new[] { expected }, new[] { actual }, $"{what} detection {k} class {c}"));
            }
        }

        Assert.IsTrue(ours.Skip(o).All(d => d.Borderline), $"{what}: we report detections after Darknet's last.");
        Assert.IsTrue(darknet.Count == 0 || o > 0, $"{what}: nothing matched");
        return worst;
    }

    private static bool Close(Detection ours, Detection darknet)
    {
        double scale = BoxErrorScale(darknet.Box);
        return ours.Box.Zip(darknet.Box).All(p => Math.Abs(p.First - p.Second) <= scale * Tolerance * (1 + Math.Abs(p.Second)))
            && Math.Abs(ours.Objectness - darknet.Objectness) <= Tolerance * (1 + darknet.Objectness);
    }

    // A box's size is anchor · exp(t): an error e in t (checked above to Tolerance·(1 + |t|)) makes a relative error of
    // about e in the size, so boxes get the tolerance of their log-size, 1 + |ln size| (1 for a box the size of the
    // network; about 17 for the 10^7-wide boxes of the saturated random full-size YOLOv3).
    private static double BoxErrorScale(float[] box) =>
        1 + Math.Abs(Math.Log(Math.Max(Math.Max(Math.Abs(box[2] - box[0]), Math.Abs(box[3] - box[1])), 1e-6)));

    // Darknet's yolo output: σ on x, y (entries 0, 1) and on objectness and classes (entries 4..), per anchor, planar.
    private static Tensor DarknetActivated(Tensor raw, YoloHead head)
    {
        var arranged = raw.view(1, head.AnchorCount, head.Classes + 5, head.GridHeight, head.GridWidth).clone();
        arranged[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(0, 2)] = arranged[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(0, 2)].sigmoid();
        arranged[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(4, null)] = arranged[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(4, null)].sigmoid();
        return arranged.flatten();
    }

    // Our decoder's predictions in get_network_boxes' order: layer by layer, cell by cell, anchor by anchor.
    private static List<Detection> Detections(DarknetNetwork network, Tensor[] outputs, float threshold)
    {
        var result = new List<Detection>();
        for (int y = 0; y < outputs.Length; y++)
        {
            var head = network.YoloLayers[y];
            using var predictions = new YoloLayerDecoder(head).Decode(outputs[y]);
            using var thresholded = predictions.Thresholded(threshold);
            var boxes = predictions.Boxes.data<float>().ToArray();
            var objectness = predictions.Objectness.data<float>().ToArray();
            var probabilities = thresholded.data<float>().ToArray();
            int cells = head.GridHeight * head.GridWidth;
            for (int cell = 0; cell < cells; cell++)
            {
                for (int a = 0; a < head.AnchorCount; a++)
                {
                    int p = a * cells + cell;
                    if (!(objectness[p] > threshold - Margin))
                        continue;
                    var relative = new[]
                    {
                        boxes[4 * p] / head.NetworkWidth, boxes[4 * p + 1] / head.NetworkHeight,
                        boxes[4 * p + 2] / head.NetworkWidth, boxes[4 * p + 3] / head.NetworkHeight,
                    };
                    result.Add(new Detection(relative, objectness[p], probabilities.AsSpan(p * head.Classes, head.Classes).ToArray(),
                        Borderline: objectness[p] <= threshold + Margin));
                }
            }
        }

        return result;
    }

    // Per class, the boxes the project's NMS keeps of Darknet's detections equal the boxes whose probability
    // do_nms_sort leaves non-zero. Classes with tied probabilities are left out: Darknet orders them with the C
    // library's unstable qsort, so which of two tied boxes survives is not defined (the saturated full-size YOLOv3
    // has many probabilities of exactly 1).
    private static (int Classes, int Kept) CheckNms(List<Detection> ours, int classes, float iou, float[] darknetBoxes, float[] darknetProbs, string what)
    {
        int compared = 0;
        var xyxy = ours.SelectMany(d => d.Box).ToArray();
        int kept = 0;
        for (int k = 0; k < classes; k++)
        {
            var candidates = Enumerable.Range(0, ours.Count).Where(i => ours[i].Probabilities[k] > 0).ToArray();
            var boxes = candidates.SelectMany(i => xyxy.AsSpan(4 * i, 4).ToArray()).ToArray();
            var scores = candidates.Select(i => ours[i].Probabilities[k]).ToArray();
            if (scores.Distinct().Count() < scores.Length)
                continue;
            compared++;
            var ourKept = NonMaxSuppression.Apply(boxes, scores, iou).Select(i => ours[candidates[i]].Box).ToList();
            var darknetKept = Enumerable.Range(0, darknetProbs.Length / classes).Where(i => darknetProbs[i * classes + k] > 0)
                .Select(i => darknetBoxes.AsSpan(4 * i, 4).ToArray()).ToList();
            Assert.AreEqual(darknetKept.Count, ourKept.Count, $"{what}: boxes of class {k} kept by NMS");
            foreach (var box in darknetKept)
                Assert.IsTrue(ourKept.Any(b => b.Zip(box).All(p => p.First == p.Second)), $"{what}: Darknet keeps a class-{k} box we drop");
            kept += darknetKept.Count;
        }

        Assert.IsTrue(kept > 0, $"{what}: NMS kept nothing, so the check compared nothing");
        return (compared, kept);
    }

    // Darknet's relative centre boxes (x, y, w, h) as relative x0 y0 x1 y1, computed in double.
    private static float[] Corners(float[] relative)
    {
        var corners = new float[relative.Length];
        for (int i = 0; i < relative.Length; i += 4)
        {
            double x = relative[i], y = relative[i + 1], w = relative[i + 2], h = relative[i + 3];
            corners[i] = (float)(x - w / 2);
            corners[i + 1] = (float)(y - h / 2);
            corners[i + 2] = (float)(x + w / 2);
            corners[i + 3] = (float)(y + h / 2);
        }

        return corners;
    }

    private static float[] Floats(JsonElement base64) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(base64.GetString()!)).ToArray();

    private static double AssertClose(float[] expected, float[] actual, string what, double scale = 1)
    {
        Assert.AreEqual(expected.Length, actual.Length, $"{what}: count");
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - (double)expected[i]) / (1 + Math.Abs(expected[i])) / scale;
            if (!(error <= Tolerance))
                Assert.Fail($"{what}[{i}]: Darknet {expected[i]:R}, ours {actual[i]:R}.");
            worst = Math.Max(worst, error);
        }

        return worst;
    }
}
