using System.Text.Json;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.TwoStage;

/// <summary>
/// <see cref="FasterRcnn"/> against torchvision 0.14's <c>FasterRCNN</c> on a ResNet-18 body, with an FPN and with the single
/// layer4 map: faster_rcnn_golden.json, written by generate_faster_rcnn_golden.py. Both sides get the same weights (by
/// torchvision's state-dict names, from a seeded generator) and images: the parameter names and shapes, the resized batch,
/// the feature maps, the RPN proposals and the final detections in evaluation mode, and the four loss parts in training mode
/// (every labelled anchor and proposal sampled, as the script does) and the gradients of one parameter per stage must agree.
/// </summary>
[TestClass]
public sealed class FasterRcnnParityTests
{
    private static readonly Lazy<JsonElement> Golden = new(() => JsonDocument.Parse(File.ReadAllText(
        Path.Combine(AppContext.BaseDirectory, "Vision", "Detection", "TwoStage", "faster_rcnn_golden.json"))).RootElement);

    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    public static IEnumerable<object[]> Cases => new[] { new object[] { "fpn" }, new object[] { "single" } };

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void EvaluationAndTraining_MatchTorchvision(string name)
    {
        using var scope = torch.NewDisposeScope();
        var golden = Golden.Value.GetProperty("cases").GetProperty(name);
        using var model = Build(name, golden);
        LoadSeededWeights(model, golden.GetProperty("parameters"));
        var images = Images();

        model.eval();
        using (torch.no_grad())
        {
            var (batch, sizes) = model.Transform.Apply(images);
            CollectionAssert.AreEqual(Longs(golden.GetProperty("batch_shape")), batch.shape, "resized batch shape");
            CollectionAssert.AreEqual(golden.GetProperty("image_sizes").EnumerateArray().Select(s => (s[0].GetInt32(), s[1].GetInt32())).ToArray(), sizes.ToArray(), "resized image sizes");

            var maps = model.Backbone.forward(batch);
            var features = golden.GetProperty("features").EnumerateObject().ToArray();
            Assert.AreEqual(features.Length, maps.Length, "feature maps");
            for (int i = 0; i < maps.Length; i++)
            {
                Assert.AreEqual(features[i].Name, model.Backbone.FeatureNames[i]);
                CollectionAssert.AreEqual(Longs(features[i].Value.GetProperty("shape")), maps[i].shape, $"map {features[i].Name} shape");
                double absSum = features[i].Value.GetProperty("abs_sum").GetDouble();
                Assert.AreEqual(absSum, maps[i].to(ScalarType.Float64).abs().sum().item<double>(), 1e-5 * absSum, $"map {features[i].Name}: sum of |values|");
                Assert.AreEqual(features[i].Value.GetProperty("sum").GetDouble(), maps[i].to(ScalarType.Float64).sum().item<double>(), 1e-5 * absSum, $"map {features[i].Name}: sum");
            }

            var (proposals, _, _, _) = model.Rpn.forward(batch, maps, sizes);
            var expectedProposals = golden.GetProperty("proposals").EnumerateArray().ToArray();
            for (int i = 0; i < proposals.Length; i++)
                AssertClose(Doubles(expectedProposals[i]), proposals[i], 2e-3, $"image {i} RPN proposals");

            var detections = model.Detect(images);
            var expected = golden.GetProperty("detections").EnumerateArray().ToArray();
            for (int i = 0; i < detections.Length; i++)
            {
                CollectionAssert.AreEqual(Longs(expected[i].GetProperty("labels")), detections[i].Labels.data<long>().ToArray(), $"image {i} detection labels");
                AssertClose(Doubles(expected[i].GetProperty("scores")), detections[i].Scores, 1e-5, $"image {i} detection scores");
                AssertClose(Doubles(expected[i].GetProperty("boxes")), detections[i].Boxes, 2e-3, $"image {i} detection boxes");
            }
        }

        model.train();
        var targets = Golden.Value.GetProperty("targets").EnumerateArray().Select(t => (
            torch.tensor(t.GetProperty("boxes").EnumerateArray().SelectMany(b => Doubles(b)).Select(v => (float)v).ToArray()).reshape(-1, 4),
            torch.tensor(Longs(t.GetProperty("labels"))))).ToArray();
        var loss = model.Loss(images, targets);
        var losses = golden.GetProperty("losses");
        foreach (var (part, actual) in new[] { ("loss_objectness", loss.Objectness), ("loss_rpn_box_reg", loss.RpnBox), ("loss_classifier", loss.Classifier), ("loss_box_reg", loss.Box) })
        {
            double want = losses.GetProperty(part).GetDouble();
            Assert.AreEqual(want, actual.item<float>(), 1e-4 * Math.Abs(want) + 1e-7, $"{part}");
        }

        loss.Total.backward();
        AssertGradients(model, golden.GetProperty("gradients"));
    }

    /// <summary>Each probe parameter's gradient has torchvision's sum and sum of absolute values, to 1e-3 of the latter.</summary>
    internal static void AssertGradients(FasterRcnn model, JsonElement gradients)
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var probe in gradients.EnumerateObject())
        {
            var grad = parameters[probe.Name].grad!.to(ScalarType.Float64);
            double absSum = probe.Value.GetProperty("abs_sum").GetDouble();
            Assert.AreEqual(absSum, grad.abs().sum().item<double>(), 1e-3 * absSum, $"gradient of {probe.Name}: sum of |values|");
            Assert.AreEqual(probe.Value.GetProperty("sum").GetDouble(), grad.sum().item<double>(), 1e-3 * absSum, $"gradient of {probe.Name}: sum");
        }
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void StateDictionary_HasTorchvisionNamesAndShapes(string name)
    {
        var golden = Golden.Value.GetProperty("cases").GetProperty(name);
        using var model = Build(name, golden);
        AssertTorchvisionNamesAndShapes(model, golden.GetProperty("parameters"));
    }

    /// <summary>Our state dictionary (without batch-norm counters) has exactly torchvision's names, each with its shape; returns the names.</summary>
    internal static IReadOnlyCollection<string> AssertTorchvisionNamesAndShapes(FasterRcnn model, JsonElement parameters)
    {
        var ours = model.state_dict().Where(p => !p.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            .ToDictionary(p => p.Key, p => p.Value.shape);
        var theirs = parameters.EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => Longs(p.GetProperty("shape")));
        CollectionAssert.AreEquivalent(theirs.Keys.ToArray(), ours.Keys.ToArray(), $"state-dict names; ours not theirs: {string.Join(", ", ours.Keys.Except(theirs.Keys).Take(10))}; theirs not ours: {string.Join(", ", theirs.Keys.Except(ours.Keys).Take(10))}");
        foreach (var (key, shape) in theirs)
            CollectionAssert.AreEqual(shape, ours[key], $"shape of {key}");
        return theirs.Keys;
    }

    /// <summary>The script's model: 4 classes, min size 128, max 213, box head of 128, FPN of the script's width; every label and proposal sampled.</summary>
    [TestMethod]
    public void Loss_RefusesDegenerateBoxesAndBackgroundLabels_NamingTheImageAndBox()
    {
        using var scope = torch.NewDisposeScope();
        using var model = FasterRcnn.ResNetSingleMap(18, classes: 3, minSize: 64, maxSize: 64);
        model.train();
        var images = new[] { torch.rand(3, 64, 64), torch.rand(3, 64, 64) };
        var good = (torch.tensor(new float[] { 4, 4, 30, 30 }).reshape(1, 4), torch.tensor(new long[] { 1 }));
        var flat = (torch.tensor(new float[] { 4, 4, 30, 30, 10, 20, 40, 20 }).reshape(2, 4), torch.tensor(new long[] { 1, 2 }));
        var error = Assert.ThrowsExactly<ArgumentException>(() => model.Loss(images, new[] { good, flat }));
        StringAssert.Contains(error.Message, "targets[1] box 1");
        var background = (torch.tensor(new float[] { 4, 4, 30, 30 }).reshape(1, 4), torch.tensor(new long[] { 0 }));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Loss(images, new[] { background, good })).Message, "[1, 2]");
        model.eval();
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => model.Loss(images, new[] { good, good })).Message, "train()");
    }

    private static FasterRcnn Build(string name, JsonElement golden)
    {
        var settings = golden.GetProperty("settings");
        var root = Golden.Value;
        var rpn = new RpnSettings { BatchSizePerImage = 10_000_000 };
        var roi = new RoIHeadSettings { BatchSizePerImage = 10_000_000, RepresentationSize = settings.GetProperty("representation").GetInt32() };
        int classes = root.GetProperty("num_classes").GetInt32();
        int minSize = root.GetProperty("min_size").GetInt32(), maxSize = root.GetProperty("max_size").GetInt32();
        var anchors = new AnchorGenerator(
            settings.GetProperty("anchor_sizes").EnumerateArray().Select(l => (IReadOnlyList<float>)l.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray(),
            settings.GetProperty("aspect_ratios").EnumerateArray().Select(l => (IReadOnlyList<float>)l.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray());
        var backbone = name == "fpn"
            ? RcnnBackbone.ResNetFpn(18, settings.GetProperty("fpn_channels").GetInt32())
            : RcnnBackbone.ResNetSingleMap(18);
        return new FasterRcnn(backbone, anchors, classes, new RcnnImageTransform(minSize, maxSize), rpn, roi);
    }

    internal static void LoadSeededWeights(FasterRcnn model, JsonElement parameters)
    {
        var state = model.state_dict();
        using var noGrad = torch.no_grad();
        foreach (var p in parameters.EnumerateArray())
        {
            var target = state[p.GetProperty("name").GetString()!];
            var values = SeededValues.Uniform(p.GetProperty("seed").GetInt64(), target.numel(), p.GetProperty("low").GetDouble(), p.GetProperty("high").GetDouble());
            target.copy_(torch.tensor(values, target.shape));
        }
    }

    internal static Tensor[] Images(JsonElement? root = null) => (root ?? Golden.Value).GetProperty("images").EnumerateArray().Select(i =>
    {
        int h = i.GetProperty("height").GetInt32(), w = i.GetProperty("width").GetInt32();
        return torch.tensor(SeededValues.Uniform(i.GetProperty("seed").GetInt64(), 3L * h * w, 0, 1), new long[] { 3, h, w });
    }).ToArray();

    /// <summary>Same count, and each value within <paramref name="tolerance"/>·(1 + |expected|).</summary>
    internal static void AssertClose(double[] expected, Tensor actual, double tolerance, string what)
    {
        var got = actual.numel() == 0 ? Array.Empty<double>() : actual.detach().to(ScalarType.Float64).contiguous().data<double>().ToArray();
        Assert.AreEqual(expected.Length, got.Length, $"{what}: count of values");
        int bad = 0;
        string first = "";
        for (int i = 0; i < got.Length; i++)
        {
            if (!(Math.Abs(got[i] - expected[i]) <= tolerance * (1 + Math.Abs(expected[i]))))
            {
                if (bad++ == 0)
                    first = $"[{i}] expected {expected[i]:R} (torchvision), got {got[i]:R}";
            }
        }
        Assert.AreEqual(0, bad, $"{what}: {bad} of {got.Length} values differ, first {first}.");
    }

    internal static long[] Longs(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt64()).ToArray();

    internal static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();
}
