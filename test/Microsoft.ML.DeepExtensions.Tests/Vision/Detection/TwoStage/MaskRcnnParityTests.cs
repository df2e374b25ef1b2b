using System.Text.Json;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;
using TorchSharp;
using static TorchSharp.torch;
using static Microsoft.ML.DeepExtensions.Tests.Vision.Detection.TwoStage.FasterRcnnParityTests;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.TwoStage;

/// <summary>
/// Mask R-CNN (a <see cref="FasterRcnn"/> with the mask branch) against torchvision 0.14's <c>MaskRCNN</c> on a ResNet-18 FPN:
/// mask_rcnn_golden.json, written by generate_mask_rcnn_golden.py. Same seeded weights (by torchvision's state-dict names)
/// and images on both sides: the names and shapes, the detections, each detection's 28 × 28 mask probabilities and its mask
/// pasted into the image (<see cref="MaskPaster"/>) in evaluation mode, and in training mode (every labelled anchor and
/// proposal sampled) the five loss parts, <c>loss_mask</c> included, and the gradients of probe parameters.
/// </summary>
[TestClass]
public sealed class MaskRcnnParityTests
{
    private static readonly Lazy<JsonElement> Golden = new(() => JsonDocument.Parse(File.ReadAllText(
        Path.Combine(AppContext.BaseDirectory, "Vision", "Detection", "TwoStage", "mask_rcnn_golden.json"))).RootElement);

    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    [TestMethod]
    public void StateDictionary_HasTorchvisionNamesAndShapes()
    {
        using var model = Build();
        var names = AssertTorchvisionNamesAndShapes(model, Golden.Value.GetProperty("parameters"));
        Assert.IsTrue(names.Contains("roi_heads.mask_predictor.conv5_mask.weight") && names.Contains("roi_heads.mask_head.3.0.weight"), "the golden file has the mask branch");
    }

    [TestMethod]
    public void Evaluation_GivesTorchvisionsDetectionsAndMasks()
    {
        using var scope = torch.NewDisposeScope();
        using var model = Build();
        LoadSeededWeights(model, Golden.Value.GetProperty("parameters"));
        var images = Images(Golden.Value);
        model.eval();
        using var noGrad = torch.no_grad();
        var detections = model.Detect(images);
        var expected = Golden.Value.GetProperty("detections").EnumerateArray().ToArray();
        for (int i = 0; i < detections.Length; i++)
        {
            var want = expected[i];
            var got = detections[i];
            CollectionAssert.AreEqual(Longs(want.GetProperty("labels")), got.Labels.data<long>().ToArray(), $"image {i} detection labels");
            AssertClose(Doubles(want.GetProperty("scores")), got.Scores, 1e-5, $"image {i} detection scores");
            AssertClose(Doubles(want.GetProperty("boxes")), got.Boxes, 2e-3, $"image {i} detection boxes");

            Assert.IsNotNull(got.MaskProbabilities, "a Mask R-CNN's detections have masks");
            CollectionAssert.AreEqual(new long[] { got.Boxes.shape[0], 28, 28 }, got.MaskProbabilities.shape, $"image {i} mask probabilities shape");
            var sums = got.MaskProbabilities.to(ScalarType.Float64).sum(new long[] { 1, 2 });
            AssertClose(Doubles(want.GetProperty("mask_probability_sums")), sums, 1e-4, $"image {i} sums of each 28x28 mask");
            var full = want.GetProperty("mask_probabilities").EnumerateArray().ToArray();
            for (int k = 0; k < full.Length; k++)
                AssertClose(Doubles(full[k]), got.MaskProbabilities[k], 1e-4, $"image {i} detection {k} 28x28 mask probabilities");

            int height = (int)images[i].shape[1], width = (int)images[i].shape[2];
            var pasted = MaskPaster.Paste(got.MaskProbabilities, got.Boxes, (height, width));
            CollectionAssert.AreEqual(new long[] { got.Boxes.shape[0], height, width }, pasted.shape, $"image {i} pasted masks shape");
            AssertClose(Doubles(want.GetProperty("pasted_sums")), pasted.to(ScalarType.Float64).sum(new long[] { 1, 2 }), 1e-4, $"image {i} sums of each pasted mask");
            AssertSameBinaryMasks(want.GetProperty("pasted_masks"), pasted, i);
        }
    }

    [TestMethod]
    public void Training_GivesTorchvisionsFiveLossPartsAndGradients()
    {
        using var scope = torch.NewDisposeScope();
        using var model = Build();
        LoadSeededWeights(model, Golden.Value.GetProperty("parameters"));
        var images = Images(Golden.Value);
        var (targets, masks) = Targets(images);
        model.train();
        var loss = model.Loss(images, targets, masks);
        var losses = Golden.Value.GetProperty("losses");
        Assert.IsNotNull(loss.Mask);
        foreach (var (part, actual) in new[] { ("loss_objectness", loss.Objectness), ("loss_rpn_box_reg", loss.RpnBox), ("loss_classifier", loss.Classifier), ("loss_box_reg", loss.Box), ("loss_mask", loss.Mask) })
        {
            double want = losses.GetProperty(part).GetDouble();
            Assert.AreEqual(want, actual.item<float>(), 1e-4 * Math.Abs(want) + 1e-7, part);
        }
        CollectionAssert.AreEqual(RcnnLoss.MaskPartNames.ToArray(), new[] { "rpn-objectness", "rpn-box", "classifier", "box", "mask" });
        Assert.AreEqual(5, loss.Parts.shape[0]);

        loss.Total.backward();
        AssertGradients(model, Golden.Value.GetProperty("gradients"));
    }

    [TestMethod]
    public void Loss_RefusesMissingOrMisshapenMasks_NamingTheImage_AndTakesBackgroundImages()
    {
        using var scope = torch.NewDisposeScope();
        using var model = MaskRcnn.ResNetFpn(18, classes: 3, minSize: 64, maxSize: 64, fpnChannels: 16,
            roiHeadSettings: new RoIHeadSettings { RepresentationSize = 16 }, maskHead: new MaskHeadSettings { Layers = new[] { 8 }, PredictorChannels = 8 });
        model.train();
        var images = new[] { torch.rand(3, 64, 64), torch.rand(3, 64, 64) };
        var target = (torch.tensor(new float[] { 4, 4, 30, 30 }).reshape(1, 4), torch.tensor(new long[] { 1 }));
        var targets = new[] { target, target };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentNullException>(() => model.Loss(images, targets)).Message, "masks");
        var wrong = new[] { torch.ones(1, 64, 64, ScalarType.Byte), torch.ones(2, 64, 64, ScalarType.Byte) };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => model.Loss(images, targets, wrong)).Message, "masks[1] must be [1, 64, 64]");
        var good = new[] { torch.ones(1, 64, 64, ScalarType.Byte), torch.ones(1, 64, 64, ScalarType.Byte) };
        var loss = model.Loss(images, targets, good);
        Assert.IsTrue(loss.Mask!.item<float>() > 0, "a mask loss");
        // Background-only images are valid: one of them beside an object, or all of them (no positive proposal: a mask loss of 0).
        var background = (torch.zeros(0, 4), torch.zeros(0, ScalarType.Int64));
        var mixed = model.Loss(images, new[] { target, background }, new[] { good[0], torch.zeros(0, 64, 64, ScalarType.Byte) });
        Assert.IsTrue(float.IsFinite(mixed.Total.item<float>()) && mixed.Mask!.item<float>() > 0, "one image with an object, one without");
        var none = model.Loss(images, new[] { background, background }, new[] { torch.zeros(0, 64, 64, ScalarType.Byte), torch.zeros(0, 64, 64, ScalarType.Byte) });
        Assert.AreEqual(0f, none.Mask!.item<float>(), "no object, no mask loss");
        none.Total.backward();
        using var faster = FasterRcnn.ResNetFpn(18, classes: 3, minSize: 64, maxSize: 64, fpnChannels: 16, roiHeadSettings: new RoIHeadSettings { RepresentationSize = 16 });
        faster.train();
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => faster.Loss(images, targets, good)).Message, "no mask branch");
    }

    /// <summary>The thresholded pasted masks agree pixel by pixel, except where our probability is within 1e-3 of 0.5 (a float rounding may flip those).</summary>
    private static void AssertSameBinaryMasks(JsonElement runLengths, Tensor pasted, int image)
    {
        var expected = runLengths.EnumerateArray().ToArray();
        Assert.AreEqual(expected.Length, (int)pasted.shape[0], $"image {image}: pasted masks");
        long objectPixels = 0;
        for (int k = 0; k < expected.Length; k++)
        {
            var ours = pasted[k].contiguous().data<float>().ToArray();
            var theirs = Decode(expected[k], ours.Length);
            int flips = 0, unexplained = 0;
            for (int p = 0; p < ours.Length; p++)
            {
                if (ours[p] > MaskPaster.Threshold == theirs[p])
                    continue;
                flips++;
                if (Math.Abs(ours[p] - MaskPaster.Threshold) > 1e-3)
                    unexplained++;
            }
            objectPixels += theirs.Count(v => v);
            Assert.AreEqual(0, unexplained, $"image {image} mask {k}: {flips} pixels differ from torchvision's, {unexplained} of them not near the threshold");
        }
        Assert.IsTrue(objectPixels > 100, $"image {image}: the masks cover {objectPixels} pixels, too few for the comparison to mean much");
    }

    private static bool[] Decode(JsonElement runs, int length)
    {
        var mask = new bool[length];
        int position = 0;
        bool on = false;
        foreach (var run in runs.EnumerateArray())
        {
            int count = run.GetInt32();
            if (on)
                Array.Fill(mask, true, position, count);
            position += count;
            on = !on;
        }
        Assert.AreEqual(length, position, "run lengths cover the image");
        return mask;
    }

    private static ((Tensor Boxes, Tensor Labels)[] Targets, Tensor[] Masks) Targets(Tensor[] images)
    {
        var targets = Golden.Value.GetProperty("targets").EnumerateArray().ToArray();
        var boxes = targets.Select(t => (
            torch.tensor(t.GetProperty("boxes").EnumerateArray().SelectMany(b => Doubles(b)).Select(v => (float)v).ToArray()).reshape(-1, 4),
            torch.tensor(Longs(t.GetProperty("labels"))))).ToArray();
        var masks = targets.Select((t, i) =>
        {
            long h = images[i].shape[1], w = images[i].shape[2];
            var decoded = t.GetProperty("masks").EnumerateArray().SelectMany(m => Decode(m, (int)(h * w))).Select(v => v ? (byte)1 : (byte)0).ToArray();
            return torch.tensor(decoded, new long[] { decoded.Length / (h * w), h, w });
        }).ToArray();
        return (boxes, masks);
    }

    private static FasterRcnn Build()
    {
        var root = Golden.Value;
        var settings = root.GetProperty("settings");
        var rpn = new RpnSettings { BatchSizePerImage = 10_000_000 };
        var roi = new RoIHeadSettings { BatchSizePerImage = 10_000_000, RepresentationSize = settings.GetProperty("representation").GetInt32() };
        var mask = new MaskHeadSettings
        {
            PooledSize = settings.GetProperty("mask_pooled_size").GetInt32(),
            SamplingRatio = settings.GetProperty("mask_sampling_ratio").GetInt32(),
            Layers = Longs(settings.GetProperty("mask_layers")).Select(l => (int)l).ToArray(),
            PredictorChannels = settings.GetProperty("mask_channels").GetInt32(),
        };
        var anchors = new AnchorGenerator(
            settings.GetProperty("anchor_sizes").EnumerateArray().Select(l => (IReadOnlyList<float>)l.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray(),
            settings.GetProperty("aspect_ratios").EnumerateArray().Select(l => (IReadOnlyList<float>)l.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray());
        return new FasterRcnn(RcnnBackbone.ResNetFpn(18, settings.GetProperty("fpn_channels").GetInt32()), anchors, root.GetProperty("num_classes").GetInt32(),
            new RcnnImageTransform(root.GetProperty("min_size").GetInt32(), root.GetProperty("max_size").GetInt32()), rpn, roi, maskHead: mask);
    }
}
