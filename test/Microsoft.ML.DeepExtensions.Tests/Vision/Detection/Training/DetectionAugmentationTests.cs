using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Detection.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Training;

/// <summary>
/// The detection augmentations move pixels and boxes together: on images of white rectangles on black, the box of
/// the bright pixels after each change is the changed box (within the resampling's pixel), and colours follow HSV.
/// </summary>
[TestClass]
public sealed class DetectionAugmentationTests
{
    private const int Size = 64;

    private static (Tensor Images, Tensor Targets) Rectangles()
    {
        var images = torch.zeros(4, 3, Size, Size);
        var boxes = new float[,] { { 4, 6, 20, 30 }, { 30, 10, 60, 24 }, { 10, 40, 28, 58 }, { 36, 34, 50, 60 } };
        var targets = new float[4 * 6];
        for (int i = 0; i < 4; i++)
        {
            images[i, .., (int)boxes[i, 1]..(int)boxes[i, 3], (int)boxes[i, 0]..(int)boxes[i, 2]] = torch.tensor(1f);
            new[] { i, i % 2, boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3] }.CopyTo(targets, 6 * i);
        }
        return (images, torch.tensor(targets, new long[] { 4, 6 }));
    }

    /// <summary>Bounds of the pixels brighter than half of image <paramref name="index"/>.</summary>
    private static float[] BrightBounds(Tensor images, int index)
    {
        var bright = (images[index].mean(new long[] { 0 }) > 0.5f).nonzero();
        var rows = bright[.., 0];
        var columns = bright[.., 1];
        return new[] { columns.min().item<long>(), rows.min().item<long>(), columns.max().item<long>() + 1f, rows.max().item<long>() + 1f };
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static void AssertBoxesFollowPixels(DetectionBatch batch, string what)
    {
        var targets = batch.Targets.data<float>().ToArray();
        for (int t = 0; t < targets.Length; t += 6)
        {
            int image = (int)targets[t];
            var expected = targets.AsSpan(t + 2, 4).ToArray();
            var actual = BrightBounds(batch.Images, image);
            for (int k = 0; k < 4; k++)
                Assert.AreEqual(expected[k], actual[k], 1.5, $"{what}: image {image}, box value {k}: box [{string.Join(", ", expected)}], pixels [{string.Join(", ", actual)}]");
        }
    }

    [TestMethod]
    public void FlipsMirrorPixelsAndBoxes()
    {
        TorchBackend.EnsureStarted();
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1);
        var (images, targets) = Rectangles();
        var options = DetectionAugmentationOptions.None;
        options.HorizontalFlip = 1;
        var result = new DetectionAugmentation(options, Size).Apply(new DetectionBatch(images, targets, 4));
        AssertBoxesFollowPixels(result, "flip");
        Assert.AreEqual(Size - 20f, result.Targets[0, 2].item<float>(), "x0 of the flipped first box is S - x1");
    }

    [TestMethod]
    public void ZoomAndShiftMovePixelsAndBoxesTogether()
    {
        TorchBackend.EnsureStarted();
        using var scope = torch.NewDisposeScope();
        for (int seed = 0; seed < 5; seed++)
        {
            torch.manual_seed(seed);
            var (images, targets) = Rectangles();
            var options = DetectionAugmentationOptions.None;
            options.Scale = 0.3;
            options.Translate = 0.1;
            options.MinVisibleArea = 0.99; // keep only boxes wholly inside, whose pixels are all there
            var result = new DetectionAugmentation(options, Size).Apply(new DetectionBatch(images, targets, 4));
            AssertBoxesFollowPixels(result, $"zoom and shift, seed {seed}");
        }
    }

    [TestMethod]
    public void MosaicTilesFourFullSizeImagesAndKeepsAWindowWithTheirBoxes()
    {
        TorchBackend.EnsureStarted();
        using var scope = torch.NewDisposeScope();
        var sizes = new[] { (16f, 24f), (30f, 14f), (18f, 18f), (14f, 26f) };
        int cut = 0, whole = 0;
        for (int seed = 0; seed < 6; seed++)
        {
            torch.manual_seed(seed);
            var (images, targets) = Rectangles();
            var options = DetectionAugmentationOptions.None;
            options.Mosaic = 1;
            options.MinVisibleArea = 0;
            var result = new DetectionAugmentation(options, Size).Apply(new DetectionBatch(images, targets, 4));
            var rows = result.Targets.data<float>().ToArray();
            for (int image = 0; image < 4; image++)
            {
                var drawn = torch.zeros(Size, Size, dtype: ScalarType.Bool);
                for (int t = 0; t < rows.Length; t += 6)
                {
                    if ((int)rows[t] != image)
                        continue;
                    float x0 = rows[t + 2], y0 = rows[t + 3], x1 = rows[t + 4], y1 = rows[t + 5];
                    drawn[(int)y0..(int)y1, (int)x0..(int)x1] = torch.tensor(true);
                    if (x0 > 0 && y0 > 0 && x1 < Size && y1 < Size)
                    {
                        whole++;
                        CollectionAssert.Contains(sizes, (x1 - x0, y1 - y0), $"seed {seed}, mosaic {image}: a box the window does not cut keeps its size");
                    }
                    else
                    {
                        cut++;
                    }
                }
                // The boxes cover the bright pixels, but for slivers under two pixels, which are dropped with their boxes.
                var bright = result.Images[image].mean(new long[] { 0 }) > 0.5f;
                long differing = bright.logical_xor(drawn).sum().item<long>();
                Assert.IsTrue(differing <= 2 * Size, $"seed {seed}, mosaic {image}: {differing} pixels differ between the boxes and the bright pixels");
            }
        }
        Assert.IsTrue(whole > 0 && cut > 0, $"windows keep some rectangles whole ({whole}) and cut others ({cut})");
    }

    /// <summary>
    /// Each object's mask (here its rectangle) goes through mosaic, flip, zoom and shift with its box and its pixels: its
    /// bounds are the box's within the resampling's pixel, its pixels are the bright ones, and a dropped box drops its mask.
    /// </summary>
    [TestMethod]
    public void CloseMosaicTurnsMosaicOffForTheLastEpochsOnly()
    {
        TorchBackend.EnsureStarted();
        using var scope = torch.NewDisposeScope();
        var options = DetectionAugmentationOptions.None;
        options.Mosaic = 1;
        options.CloseMosaic = 2;
        var augmentation = new DetectionAugmentation(options, Size);
        for (int epoch = 0; epoch < 5; epoch++)
        {
            torch.manual_seed(epoch);
            var (images, targets) = Rectangles();
            augmentation.StartEpoch(epoch, 5);
            var result = augmentation.Apply(new DetectionBatch(images, targets, 4));
            bool unchanged = result.Images.allclose(images, rtol: 0, atol: 0) && result.Targets.shape[0] == targets.shape[0] && result.Targets.allclose(targets, rtol: 0, atol: 0);
            Assert.AreEqual(epoch >= 3, unchanged, $"epoch {epoch + 1} of 5 with CloseMosaic 2");
        }
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DetectionAugmentationOptions { CloseMosaic = -1 }.Validate());
        StringAssert.Contains(error.Message, "CloseMosaic");
    }

    [TestMethod]
    public void MasksMoveWithTheirBoxesAndPixels()
    {
        TorchBackend.EnsureStarted();
        using var scope = torch.NewDisposeScope();
        int checkedMasks = 0;
        for (int seed = 0; seed < 6; seed++)
        {
            torch.manual_seed(seed);
            var (images, targets) = Rectangles();
            var masks = (images.mean(new long[] { 1 }) > 0.5f).to_type(ScalarType.Byte); // image i holds object i alone
            var options = DetectionAugmentationOptions.None;
            options.Mosaic = 1;
            options.HorizontalFlip = 0.5;
            options.Scale = 0.3;
            options.Translate = 0.1;
            options.MinVisibleArea = 0;
            var result = new DetectionAugmentation(options, Size).Apply(new DetectionBatch(images, targets, 4, masks));
            Assert.IsNotNull(result.Masks);
            Assert.AreEqual(result.Targets.shape[0], result.Masks!.shape[0], $"seed {seed}: one mask per object kept");
            CollectionAssert.AreEqual(new long[] { Size, Size }, result.Masks.shape[1..]);
            var rows = result.Targets.data<float>().ToArray();
            for (int t = 0; t < rows.Length / 6; t++)
            {
                var box = rows.AsSpan(6 * t + 2, 4).ToArray();
                var mask = result.Masks[t];
                var pixels = mask.nonzero();
                if (pixels.shape[0] == 0)
                {
                    Assert.IsTrue(box[2] - box[0] < 4 || box[3] - box[1] < 4, $"seed {seed}, object {t}: box [{string.Join(", ", box)}] lost its mask");
                    continue;
                }
                var bounds = new float[] { pixels[.., 1].min().item<long>(), pixels[.., 0].min().item<long>(), pixels[.., 1].max().item<long>() + 1f, pixels[.., 0].max().item<long>() + 1f };
                for (int k = 0; k < 4; k++)
                    Assert.AreEqual(box[k], bounds[k], 1.5, $"seed {seed}, object {t}: box [{string.Join(", ", box)}], mask bounds [{string.Join(", ", bounds)}]");
                var bright = result.Images[(int)rows[6 * t]].mean(new long[] { 0 }) > 0.5f;
                double inside = (mask.to_type(ScalarType.Bool) & bright).sum().item<long>() / (double)pixels.shape[0];
                Assert.IsTrue(inside > 0.9, $"seed {seed}, object {t}: only {inside:P0} of the mask is on the object's pixels");
                checkedMasks++;
            }
        }
        Assert.IsTrue(checkedMasks >= 12, $"{checkedMasks} masks checked");
    }

    [TestMethod]
    public void CopyPasteGivesEachImageTheObjectsOfAnotherWithTheirPixelsAndMasks()
    {
        TorchBackend.EnsureStarted();
        using var scope = torch.NewDisposeScope();
        for (int seed = 0; seed < 4; seed++)
        {
            torch.manual_seed(seed);
            var (images, targets) = Rectangles(); // four objects that overlap no other image's
            var masks = (images.mean(new long[] { 1 }) > 0.5f).to_type(ScalarType.Byte);
            var options = DetectionAugmentationOptions.None;
            options.CopyPaste = 1;
            var result = new DetectionAugmentation(options, Size).Apply(new DetectionBatch(images, targets, 4, masks));
            Assert.AreEqual(8, result.Targets.shape[0], $"seed {seed}: every image received one object");
            var rows = result.Targets.data<float>().ToArray();
            var givers = new HashSet<int>();
            for (int t = 4; t < 8; t++)
            {
                int image = (int)rows[6 * t];
                // The pasted object is one of the originals, moved to another image with its class, box and mask.
                int giver = Enumerable.Range(0, 4).Single(g => Enumerable.Range(1, 5).All(k => rows[6 * g + k] == rows[6 * t + k]));
                Assert.AreNotEqual(image, giver, $"seed {seed}: an image never receives its own objects");
                Assert.IsTrue(givers.Add(giver), $"seed {seed}: image {giver} gave twice");
                Assert.IsTrue(Same(result.Masks![t], masks[giver]), $"seed {seed}: object {t} kept its mask");
                var union = (masks[image] | masks[giver]).to_type(ScalarType.Bool);
                Assert.IsTrue(Same(result.Images[image].mean(new long[] { 0 }) > 0.5f, union), $"seed {seed}: image {image}'s bright pixels are its object and the pasted one");
            }
        }
    }

    [TestMethod]
    public void CopyPasteTakesThePixelsOfTheGiverAndSkipsObjectsThatWouldHideAnother()
    {
        TorchBackend.EnsureStarted();
        using var scope = torch.NewDisposeScope();
        // A red 40x40 square and a green 20x20 one overlapping its corner by 10x10: each covers under 30% of the other's box.
        var images = torch.zeros(2, 3, Size, Size);
        images[0, 0, 0..40, 0..40] = torch.tensor(1f);
        images[1, 1, 30..50, 30..50] = torch.tensor(1f);
        var masks = (images.amax(1) > 0.5f).to_type(ScalarType.Byte);
        var targets = torch.tensor(new float[] { 0, 0, 0, 0, 40, 40, 1, 1, 30, 30, 50, 50 }, new long[] { 2, 6 });
        var options = DetectionAugmentationOptions.None;
        options.CopyPaste = 1;
        var result = new DetectionAugmentation(options, Size).Apply(new DetectionBatch(images, targets, 2, masks));
        Assert.AreEqual(4, result.Targets.shape[0]);
        Assert.AreEqual(400L, result.Images[0, 1].sum().item<float>(), 1e-3, "image 0 shows the green square whole");
        Assert.AreEqual(1500L, result.Images[0, 0].sum().item<float>(), 1e-3, "and its red square less the 10x10 under it");
        Assert.AreEqual(1500L, result.Masks![0].sum().item<long>(), "the red square's mask loses the covered pixels");
        Assert.AreEqual(1600L, result.Images[1, 0].sum().item<float>(), 1e-3, "image 1 shows the red square whole");
        Assert.AreEqual(300L, result.Masks[1].sum().item<long>(), "the green square's mask loses the pixels under the red");

        // A 20x20 square inside a 36x36 one covers 31% of it: neither is pasted on the other.
        images = torch.zeros(2, 3, Size, Size);
        images[0, 0, 4..40, 4..40] = torch.tensor(1f);
        images[1, 1, 10..30, 10..30] = torch.tensor(1f);
        masks = (images.amax(1) > 0.5f).to_type(ScalarType.Byte);
        targets = torch.tensor(new float[] { 0, 0, 4, 4, 40, 40, 1, 1, 10, 10, 30, 30 }, new long[] { 2, 6 });
        result = new DetectionAugmentation(options, Size).Apply(new DetectionBatch(images, targets, 2, masks));
        Assert.IsTrue(Same(result.Targets, targets), "nothing pasted");
        Assert.IsTrue(Same(result.Images, images));
    }

    [TestMethod]
    public void HsvJitterTurnsHuesAndKeepsGrey()
    {
        TorchBackend.EnsureStarted();
        using var scope = torch.NewDisposeScope();
        // Pure red, pure green, mid grey.
        var images = torch.tensor(new float[] { 1, 0, 0.5f, 0, 1, 0.5f, 0, 0, 0.5f }, new long[] { 1, 3, 1, 3 });
        var options = DetectionAugmentationOptions.None;
        options.Hue = 0.5;
        options.Saturation = 0.001;
        options.Value = 0.001;
        bool sawShift = false;
        for (int seed = 0; seed < 8; seed++)
        {
            torch.manual_seed(seed);
            var result = new DetectionAugmentation(options, 3).Apply(new DetectionBatch(images, torch.zeros(0, 6), 1)).Images;
            var grey = result[0, .., 0, 2].data<float>().ToArray();
            foreach (var v in grey)
                Assert.AreEqual(0.5f, v, 2e-3f, "grey stays grey whatever the hue");
            var red = result[0, .., 0, 0].data<float>().ToArray();
            Assert.AreEqual(1f, red.Max(), 2e-3f, "value and saturation of a pure colour stay 1");
            Assert.AreEqual(0f, red.Min(), 2e-3f);
            sawShift |= red[0] < 0.99f;
        }
        Assert.IsTrue(sawShift, "some seed turned red away from red");
    }

    [TestMethod]
    public void NoOptionIsTheIdentityAndBadOptionsAreNamed()
    {
        Assert.IsTrue(DetectionAugmentationOptions.None.IsIdentity);
        Assert.IsFalse(new DetectionAugmentationOptions().IsIdentity);
        var bad = new DetectionAugmentationOptions { Translate = 0.7 };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(bad.Validate).Message, "Augmentation.Translate must be in [0, 0.5], got 0.7");
    }
}
