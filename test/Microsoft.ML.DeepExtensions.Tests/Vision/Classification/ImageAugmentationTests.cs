using Microsoft.ML.DeepExtensions.Vision.Classification;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Classification;

[TestClass]
public sealed class ImageAugmentationTests
{
    private static Tensor Images(int n) => torch.arange(n * 2 * 5 * 6, dtype: ScalarType.Float32).view(n, 2, 5, 6) + 1;

    [TestMethod]
    public void FlipMirrorsSomeImagesAndKeepsTheOthers()
    {
        torch.manual_seed(3);
        using var scope = torch.NewDisposeScope();
        var images = Images(64);
        var output = new ImageAugmentation(padding: 0, horizontalFlip: true).Apply(images);
        int flipped = 0, kept = 0;
        for (int i = 0; i < 64; i++)
        {
            if (output[i].allclose(images[i], 0, 0))
                kept++;
            else if (output[i].allclose(images[i].flip(2), 0, 0))
                flipped++;
            else
                Assert.Fail($"image {i} is neither kept nor mirrored");
        }
        Assert.IsTrue(flipped > 10 && kept > 10, $"{flipped} flipped, {kept} kept");
    }

    [TestMethod]
    public void CropShiftsEachImageByAtMostThePaddingWithZerosAtTheEdges()
    {
        torch.manual_seed(5);
        using var scope = torch.NewDisposeScope();
        const int p = 2;
        var images = Images(32);
        var output = new ImageAugmentation(padding: p, horizontalFlip: false).Apply(images);
        CollectionAssert.AreEqual(images.shape, output.shape);
        var padded = nn.functional.pad(images, new long[] { p, p, p, p });
        var shifts = new HashSet<(int, int)>();
        for (int i = 0; i < 32; i++)
        {
            bool found = false;
            for (int dy = 0; dy <= 2 * p && !found; dy++)
            {
                for (int dx = 0; dx <= 2 * p && !found; dx++)
                {
                    if (output[i].allclose(padded[i, .., dy..(dy + 5), dx..(dx + 6)], 0, 0))
                    {
                        found = true;
                        shifts.Add((dy, dx));
                    }
                }
            }
            Assert.IsTrue(found, $"image {i} is not a shifted window of the padded image");
        }
        Assert.IsTrue(shifts.Count > 5, $"only {shifts.Count} distinct offsets in 32 images");
    }

    [TestMethod]
    public void NegativePaddingIsRefused()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ImageAugmentation(-1, false));
        StringAssert.Contains(e.Message, "RandomCropPadding");
    }
}
