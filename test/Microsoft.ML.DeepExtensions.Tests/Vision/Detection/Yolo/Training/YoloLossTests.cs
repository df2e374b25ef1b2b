using System.Text.Json;
using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Yolo.Training;

/// <summary>
/// The YOLOv3 loss and the IoU losses against yolo_loss_golden.json, written by generate_yolo_loss.py beside this file:
/// an object-by-object float64 reference of the documented loss in PyTorch, and torchvision 0.14's
/// generalized_box_iou_loss / complete_box_iou_loss. The parts and the gradients of the raw outputs must agree.
/// </summary>
[TestClass]
public sealed class YoloLossTests
{
    private static readonly Lazy<JsonElement> Root = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vision", "Detection", "Yolo", "Training", "yolo_loss_golden.json"))).RootElement);

    public static IEnumerable<object[]> Cases => Enumerable.Range(0, 6).Select(i => new object[] { i });

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void PartsAndGradientsEqualTheReference(int index)
    {
        var root = Root.Value;
        var golden = root.GetProperty("cases")[index];
        string name = golden.GetProperty("name").GetString()!;
        int size = root.GetProperty("imageSize").GetInt32();
        var heads = Heads(root, golden);
        var loss = new YoloLoss(heads, size, Enum.Parse<YoloBoxLoss>(golden.GetProperty("boxLoss").GetString()!),
            Enum.Parse<YoloObjectnessTarget>(golden.GetProperty("objectnessTarget").GetString()!),
            golden.GetProperty("anchorMatchThreshold") is { ValueKind: JsonValueKind.Number } threshold ? threshold.GetSingle() : null);

        using var scope = torch.NewDisposeScope();
        var outputs = golden.GetProperty("outputs").EnumerateArray().Select(o =>
            torch.tensor(Doubles(o.GetProperty("values")).Select(v => (float)v).ToArray(), Longs(o.GetProperty("shape"))).requires_grad_(true)).ToArray();
        var targets = torch.tensor(golden.GetProperty("targets").EnumerateArray().SelectMany(t => Doubles(t)).Select(v => (float)v).ToArray()).view(-1, 6);

        var (total, parts) = loss.Compute(outputs, targets, outputs[0].shape[0]);
        total.backward();

        var expectedParts = Doubles(golden.GetProperty("parts"));
        var actualParts = parts.data<float>().ToArray();
        for (int p = 0; p < expectedParts.Length; p++)
            AssertClose(expectedParts[p], actualParts[p], 2e-5, $"{name}: {YoloLoss.PartNames[p]} loss");
        Assert.AreEqual(expectedParts.Sum(), total.item<float>(), 2e-5 * (1 + expectedParts.Sum()), $"{name}: total");
        int h = 0;
        foreach (var output in golden.GetProperty("outputs").EnumerateArray())
        {
            var expected = Doubles(output.GetProperty("gradient"));
            var actual = outputs[h].grad!.data<float>().ToArray();
            for (int i = 0; i < expected.Length; i++)
                AssertClose(expected[i], actual[i], 1e-4, $"{name}: gradient of output {h} at {i}");
            h++;
        }
    }

    [TestMethod]
    public void TheClassWeightScalesTheClassPartAndItsGradientOnly()
    {
        var root = Root.Value;
        var golden = root.GetProperty("cases")[0];
        var heads = Heads(root, golden);
        using var scope = torch.NewDisposeScope();
        var targets = torch.tensor(golden.GetProperty("targets").EnumerateArray().SelectMany(t => Doubles(t)).Select(v => (float)v).ToArray()).view(-1, 6);
        (float[] Parts, float[] Gradient) Run(float classWeight)
        {
            var loss = new YoloLoss(heads, root.GetProperty("imageSize").GetInt32(), YoloBoxLoss.SquaredError, YoloObjectnessTarget.Iou, classWeight: classWeight);
            var outputs = golden.GetProperty("outputs").EnumerateArray().Select(o =>
                torch.tensor(Doubles(o.GetProperty("values")).Select(v => (float)v).ToArray(), Longs(o.GetProperty("shape"))).requires_grad_(true)).ToArray();
            var (total, parts) = loss.Compute(outputs, targets, outputs[0].shape[0]);
            total.backward();
            return (parts.data<float>().ToArray(), outputs[0].grad!.data<float>().ToArray());
        }
        // Weight 0 leaves box and objectness; weight 1 adds the class part once, 2.5 must add it 2.5 times.
        var withoutClass = Run(0);
        var plain = Run(1);
        var weighted = Run(2.5f);
        Assert.AreEqual(0f, withoutClass.Parts[2], "class part at weight 0");
        Assert.IsTrue(plain.Parts[2] > 0, "the case has responsible predictions");
        Assert.AreEqual(plain.Parts[0], weighted.Parts[0], 1e-6, "box part");
        Assert.AreEqual(plain.Parts[1], weighted.Parts[1], 1e-6, "objectness part");
        Assert.AreEqual(2.5 * plain.Parts[2], weighted.Parts[2], 1e-4 * plain.Parts[2], "class part");
        bool classMovesSomeGradient = false;
        for (int i = 0; i < plain.Gradient.Length; i++)
        {
            double classGradient = plain.Gradient[i] - withoutClass.Gradient[i];
            classMovesSomeGradient |= Math.Abs(classGradient) > 1e-4;
            Assert.AreEqual(withoutClass.Gradient[i] + 2.5 * classGradient, weighted.Gradient[i], 1e-5, $"gradient at {i}");
        }
        Assert.IsTrue(classMovesSomeGradient, "the class part has a gradient in the first output");
    }

    [TestMethod]
    public void ALayerWithoutResponsibleObjectsStillLearnsBackground()
    {
        var root = Root.Value;
        var heads = Heads(root, root.GetProperty("cases")[0]);
        var loss = new YoloLoss(heads, root.GetProperty("imageSize").GetInt32(), YoloBoxLoss.SquaredError, YoloObjectnessTarget.Iou);
        using var scope = torch.NewDisposeScope();
        var outputs = new[] { torch.zeros(2, 24, 3, 3), torch.zeros(2, 24, 6, 6) };
        var (total, parts) = loss.Compute(outputs, torch.zeros(0, 6), 2);
        var values = parts.data<float>().ToArray();
        Assert.AreEqual(0f, values[0], "no box loss without objects");
        Assert.AreEqual(0f, values[2], "no class loss without objects");
        // Every prediction is background: BCE(0 logit, 0) = ln 2 per cell and anchor, summed, over 2 images.
        double cells = 3 * (9 + 36);
        Assert.AreEqual(cells * Math.Log(2), values[1], 1e-3, "objectness of an empty batch");
        Assert.IsTrue(float.IsFinite(total.item<float>()));
    }

    [TestMethod]
    public void IouLossesEqualTorchvision()
    {
        var golden = Root.Value.GetProperty("iouLosses");
        using var scope = torch.NewDisposeScope();
        var predicted = torch.tensor(Doubles(golden.GetProperty("predicted")).Select(v => (float)v).ToArray()).view(-1, 4);
        var target = torch.tensor(Doubles(golden.GetProperty("target")).Select(v => (float)v).ToArray()).view(-1, 4);
        var generalized = BoxIouLoss.Generalized(predicted, target).data<float>().ToArray();
        var complete = BoxIouLoss.Complete(predicted, target).data<float>().ToArray();
        var expectedGeneralized = Doubles(golden.GetProperty("generalized"));
        var expectedComplete = Doubles(golden.GetProperty("complete"));
        for (int i = 0; i < expectedGeneralized.Length; i++)
        {
            AssertClose(expectedGeneralized[i], generalized[i], 1e-5, $"GIoU loss {i}");
            AssertClose(expectedComplete[i], complete[i], 1e-5, $"CIoU loss {i}");
        }
        Assert.AreEqual(0f, generalized[0], 1e-6, "identical boxes have no GIoU loss");
        Assert.IsTrue(generalized[1] > 1f, "disjoint boxes have a GIoU loss above 1");
    }

    [TestMethod]
    public void AlignedIouIsTheDiagonalOfThePairwiseIou()
    {
        using var scope = torch.NewDisposeScope();
        var golden = Root.Value.GetProperty("iouLosses");
        var a = torch.tensor(Doubles(golden.GetProperty("predicted")).Select(v => (float)v).ToArray()).view(-1, 4);
        var b = torch.tensor(Doubles(golden.GetProperty("target")).Select(v => (float)v).ToArray()).view(-1, 4);
        var aligned = BoxIou.Aligned(a, b).data<float>().ToArray();
        var diagonal = BoxIou.Pairwise(a, b).diagonal().data<float>().ToArray();
        CollectionAssert.AreEqual(diagonal, aligned);
        Assert.ThrowsExactly<ArgumentException>(() => BoxIou.Aligned(a, b.narrow(0, 0, 3)));
    }

    internal static IReadOnlyList<YoloHead> Heads(JsonElement root, JsonElement golden)
    {
        var anchors = root.GetProperty("anchors").EnumerateArray().Select(a => ((float)a[0].GetDouble(), (float)a[1].GetDouble())).ToArray();
        int classes = root.GetProperty("classes").GetInt32();
        int size = root.GetProperty("imageSize").GetInt32();
        var outputs = golden.GetProperty("outputs").EnumerateArray().ToArray();
        return root.GetProperty("heads").EnumerateArray().Select((head, i) =>
        {
            var mask = head.GetProperty("mask").EnumerateArray().Select(m => m.GetInt32()).ToArray();
            var settings = new DarknetYoloSettings(i, classes, anchors, mask, (float)head.GetProperty("ignore").GetDouble(), 1f,
                (float)head.GetProperty("scaleXY").GetDouble(), 0f);
            var shape = Longs(outputs[i].GetProperty("shape"));
            return new YoloHead(settings, i, (int)shape[2], (int)shape[3], size, size);
        }).ToArray();
    }

    private static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static long[] Longs(JsonElement array) => array.EnumerateArray().Select(v => v.GetInt64()).ToArray();

    private static void AssertClose(double expected, double actual, double tolerance, string what) =>
        Assert.IsTrue(Math.Abs(actual - expected) <= tolerance * (1 + Math.Abs(expected)), $"{what}: expected {expected:R}, got {actual:R}.");
}
