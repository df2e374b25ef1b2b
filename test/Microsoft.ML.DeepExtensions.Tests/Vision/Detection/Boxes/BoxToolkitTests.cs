using System.Text.Json;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Tests.BuildingBlocks;
using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Boxes;

/// <summary>
/// The box toolkit against torchvision 0.14: boxes_golden.json, written by generate_boxes.py beside this file.
/// </summary>
[TestClass]
public sealed class BoxToolkitTests
{
    private static readonly Lazy<JsonElement> Root = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vision", "Detection", "Boxes", "boxes_golden.json"))).RootElement);

    private static JsonElement Section(string name) => Root.Value.GetProperty(name);

    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    [TestMethod]
    public void Convert_MatchesTorchvisionBoxConvert_BothWays()
    {
        using var scope = torch.NewDisposeScope();
        var golden = Section("convert");
        var formats = new[] { ("xyxy", BoxFormat.Xyxy), ("xywh", BoxFormat.Xywh), ("cxcywh", BoxFormat.Cxcywh) };
        foreach (var (fromName, from) in formats)
        {
            foreach (var (toName, to) in formats)
            {
                var input = Golden.Floats(golden.GetProperty(fromName));
                Golden.AssertClose(golden.GetProperty(toName), BoxConversion.Convert(input, from, to), $"{fromName} -> {toName}");

                var managed = input.data<float>().ToArray();
                BoxConversion.Convert(managed, from, to);
                Golden.AssertClose(golden.GetProperty(toName), torch.tensor(managed, input.shape), $"managed {fromName} -> {toName}");
            }
        }
    }

    [TestMethod]
    public void Pairwise_MatchesTorchvisionBoxIou()
    {
        using var scope = torch.NewDisposeScope();
        var golden = Section("iou");

        var iou = BoxIou.Pairwise(Golden.Floats(golden.GetProperty("first")), Golden.Floats(golden.GetProperty("second")));

        Golden.AssertClose(golden.GetProperty("iou"), iou, "box_iou");
        Assert.IsTrue(iou.gt(0).sum().item<long>() > 6, "the case must hold partial overlaps, not only the identical pair");
    }

    [TestMethod]
    public void Nms_MatchesTorchvision_On600Boxes_AtThreeThresholds()
    {
        using var scope = torch.NewDisposeScope();
        var golden = Section("nms");
        var boxes = Golden.Floats(golden.GetProperty("boxes"));
        var scores = Golden.Floats(golden.GetProperty("scores"));
        Assert.IsTrue(boxes.shape[0] > NonMaxSuppression.BlockRows, "the case must span more than one block");

        foreach (var c in golden.GetProperty("cases").EnumerateArray())
        {
            double threshold = c.GetProperty("iou_threshold").GetDouble();
            var expected = c.GetProperty("keep").EnumerateArray().Select(e => e.GetInt64()).ToArray();

            CollectionAssert.AreEqual(expected, NonMaxSuppression.Apply(boxes, scores, threshold).data<long>().ToArray(), $"nms at {threshold}");
            CollectionAssert.AreEqual(expected, NonMaxSuppression.ApplyBlocked(boxes, scores, threshold).data<long>().ToArray(), $"blocked (accelerator) nms at {threshold}");
            CollectionAssert.AreEqual(expected.Select(i => (int)i).ToArray(),
                NonMaxSuppression.Apply(boxes.data<float>().ToArray(), scores.data<float>().ToArray(), threshold), $"managed nms at {threshold}");
        }
    }

    [TestMethod]
    public void PerClassNms_MatchesTorchvisionBatchedNms_AndDiffersFromAgnostic()
    {
        using var scope = torch.NewDisposeScope();
        var golden = Section("batched_nms");
        var boxes = Golden.Floats(golden.GetProperty("boxes"));
        var scores = Golden.Floats(golden.GetProperty("scores"));
        var classes = Golden.Longs(golden.GetProperty("classes"));
        double threshold = golden.GetProperty("iou_threshold").GetDouble();
        var expected = golden.GetProperty("keep").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var agnostic = golden.GetProperty("keep_agnostic").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        Assert.AreNotEqual(expected.Length, agnostic.Length, "the case must make class-awareness matter");

        CollectionAssert.AreEqual(expected, NonMaxSuppression.ApplyPerClass(boxes, scores, classes, threshold).data<long>().ToArray());
        CollectionAssert.AreEqual(agnostic, NonMaxSuppression.Apply(boxes, scores, threshold).data<long>().ToArray());
        var managedClasses = classes.data<long>().Select(c => (int)c).ToArray();
        CollectionAssert.AreEqual(expected.Select(i => (int)i).ToArray(),
            NonMaxSuppression.ApplyPerClass(boxes.data<float>().ToArray(), scores.data<float>().ToArray(), managedClasses, threshold));
    }

    [TestMethod]
    public void PerClassNms_KeepsClassesApart_WithNegativeCoordinates()
    {
        // Two identical boxes of different classes must both survive. With an offset of max + 1 = 1 they would
        // still overlap (the boxes are 100 wide); the span-based offset separates them.
        using var scope = torch.NewDisposeScope();
        var boxes = torch.tensor(new float[] { -100, -100, 0, 0, -100, -100, 0, 0 }, new long[] { 2, 4 });
        var kept = NonMaxSuppression.ApplyPerClass(boxes, torch.tensor(new float[] { 0.9f, 0.8f }), torch.tensor(new long[] { 0, 1 }), 0.5);

        CollectionAssert.AreEqual(new long[] { 0, 1 }, kept.data<long>().ToArray());
    }

    [TestMethod]
    public void Nms_OfNoBoxes_IsEmpty_AndBadShapesAreNamed()
    {
        using var scope = torch.NewDisposeScope();
        Assert.AreEqual(0L, NonMaxSuppression.Apply(torch.zeros(0, 4), torch.zeros(0), 0.5).shape[0]);
        Assert.AreEqual(0L, NonMaxSuppression.ApplyPerClass(torch.zeros(0, 4), torch.zeros(0), torch.zeros(0, ScalarType.Int64), 0.5).shape[0]);

        var shape = Assert.ThrowsExactly<ArgumentException>(() => NonMaxSuppression.Apply(torch.zeros(3, 5), torch.zeros(3), 0.5));
        StringAssert.Contains(shape.Message, "boxes must have shape [..., 4], got [3, 5]");
        var scores = Assert.ThrowsExactly<ArgumentException>(() => NonMaxSuppression.Apply(torch.zeros(3, 4), torch.zeros(2), 0.5));
        StringAssert.Contains(scores.Message, "scores must have shape [3] (one value per box of boxes), got [2]");
    }

    [TestMethod]
    public void Anchors_MatchTorchvisionAnchorGenerator_FasterRcnnAndFpn()
    {
        using var scope = torch.NewDisposeScope();
        foreach (var c in Section("anchors").EnumerateArray())
        {
            var sizes = c.GetProperty("sizes").EnumerateArray().Select(l => l.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
            var ratios = c.GetProperty("aspect_ratios").EnumerateArray().Select(l => l.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
            var image = c.GetProperty("image").EnumerateArray().Select(v => v.GetInt64()).ToArray();
            var maps = c.GetProperty("feature_maps").EnumerateArray().Select(f => (f[0].GetInt64(), f[1].GetInt64())).ToArray();
            var generator = new AnchorGenerator(sizes, ratios);

            var anchors = generator.Generate(image[0], image[1], maps);

            var perPosition = c.GetProperty("anchors_per_position").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            CollectionAssert.AreEqual(perPosition, Enumerable.Range(0, generator.Levels).Select(generator.AnchorsPerPosition).ToArray());
            Golden.AssertClose(c.GetProperty("anchors"), anchors, $"anchors for sizes {string.Join("/", sizes.Select(s => string.Join(",", s)))}");
        }
        Assert.AreEqual(9, AnchorGenerator.FasterRcnn().AnchorsPerPosition(0));
    }

    [TestMethod]
    public void BoxCoder_EncodeAndDecode_MatchTorchvision_IncludingTheClamp()
    {
        using var scope = torch.NewDisposeScope();
        var golden = Section("box_coder");
        var proposals = Golden.Floats(golden.GetProperty("proposals"));
        var targets = Golden.Floats(golden.GetProperty("targets"));
        var codes = Golden.Floats(golden.GetProperty("codes"));
        Golden.AssertClose(golden.GetProperty("clip").GetDouble(), BoxCoder.DefaultClip, "clip");

        foreach (var c in golden.GetProperty("coders").EnumerateArray())
        {
            var w = c.GetProperty("weights").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var coder = new BoxCoder(w[0], w[1], w[2], w[3]);
            Golden.AssertClose(c.GetProperty("encoded"), coder.Encode(targets, proposals), $"encode with weights {string.Join(",", w)}");
            Golden.AssertClose(c.GetProperty("decoded"), coder.Decode(codes, proposals), $"decode with weights {string.Join(",", w)}");
            // Decoding what was encoded gives the targets back.
            var roundTrip = coder.Decode(coder.Encode(targets, proposals), proposals);
            Assert.IsTrue(roundTrip.allclose(targets, rtol: 1e-4, atol: 1e-3), "decode(encode(t)) == t");
        }
    }

    [TestMethod]
    public void Letterbox_MapsBoxesBackToTheOriginal_AndPadsSymmetrically()
    {
        using var scope = torch.NewDisposeScope();
        // 200x100 into 64x64: scale 0.32, content 64x32, 16 rows of padding above and below.
        var mapping = ImageResizeMapping.Letterbox(200, 100, 64, 64);
        Assert.AreEqual((64, 32, 0, 16), (mapping.ContentWidth, mapping.ContentHeight, mapping.PadLeft, mapping.PadTop));

        var original = torch.tensor(new float[] { 0, 0, 200, 100, 50, 25, 150, 75 }, new long[] { 2, 4 });
        var target = mapping.BoxesToTarget(original);
        CollectionAssert.AreEqual(new float[] { 0, 16, 64, 48, 16, 24, 48, 40 }, target.data<float>().ToArray());
        Assert.IsTrue(mapping.BoxesToSource(target).allclose(original, atol: 1e-4));
        var managed = target.data<float>().ToArray();
        mapping.BoxesToSource(managed);
        CollectionAssert.AreEqual(original.data<float>().ToArray(), managed.Select(v => MathF.Round(v, 3)).ToArray());

        // Boxes reaching into the padding are clipped to the image.
        var clipped = mapping.BoxesToSource(torch.tensor(new float[] { -5, 0, 70, 64 }, new long[] { 1, 4 })).data<float>().ToArray();
        CollectionAssert.AreEqual(new float[] { 0, 0, 200, 100 }, clipped);
    }

    [TestMethod]
    public void Stretch_ScalesEachAxis_AndMasksComeBackAtTheSourceSize()
    {
        using var scope = torch.NewDisposeScope();
        var stretch = ImageResizeMapping.Stretch(40, 20, 80, 80);
        Assert.AreEqual((2.0, 4.0, 0, 0), (stretch.ScaleX, stretch.ScaleY, stretch.PadLeft, stretch.PadTop));
        CollectionAssert.AreEqual(new float[] { 5, 2.5f, 10, 5 },
            stretch.BoxesToSource(torch.tensor(new float[] { 10, 10, 20, 20 }, new long[] { 1, 4 })).data<float>().ToArray());

        // A letterboxed mask that is 1 exactly over the content maps back to an all-ones source mask.
        var letterbox = ImageResizeMapping.Letterbox(30, 10, 60, 60); // content 60x20 at rows 20..39
        var mask = torch.zeros(1, 60, 60);
        mask[0, TensorIndex.Slice(20, 40), TensorIndex.Colon] = 1;
        var back = letterbox.MasksToSource(mask);
        CollectionAssert.AreEqual(new long[] { 1, 10, 30 }, back.shape);
        Assert.AreEqual(1.0f, back.min().item<float>());
    }

    [TestMethod]
    public void LetterboxApply_PutsTheImageInTheContentAndPadsWithGray()
    {
        var pixels = new byte[20 * 10 * 4];
        for (int p = 0; p < pixels.Length; p += 4)
        {
            pixels[p] = 255; // blue (BGRA)
            pixels[p + 3] = 255;
        }
        using var image = Microsoft.ML.Data.MLImage.CreateFromPixels(20, 10, Microsoft.ML.Data.MLPixelFormat.Bgra32, pixels);
        var mapping = ImageResizeMapping.Letterbox(20, 10, 40, 40); // content 40x20 at rows 10..29

        using var boxed = mapping.Apply(image);

        Assert.AreEqual((40, 40), (boxed.Width, boxed.Height));
        var output = boxed.Pixels;
        Assert.AreEqual(114, output[(5 * 40 + 20) * 4], "padding row 5 is gray");
        Assert.AreEqual(255, output[(20 * 40 + 20) * 4], "content row 20 is blue");
        Assert.AreEqual(0, output[(20 * 40 + 20) * 4 + 2], "content row 20 has no red");
    }
}
