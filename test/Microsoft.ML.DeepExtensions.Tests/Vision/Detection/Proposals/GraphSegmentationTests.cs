using Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Proposals;

/// <summary>Felzenszwalb–Huttenlocher segmentation against OpenCV's <c>createGraphSegmentation(...).processImage</c>.</summary>
[TestClass]
public sealed class GraphSegmentationTests
{
    [TestMethod]
    public void LabelsEqualOpenCVsOnRealPhotos()
    {
        int compared = 0;
        foreach (var golden in ProposalsGolden.Section("segmentations").EnumerateArray())
        {
            int image = golden.GetProperty("image").GetInt32();
            string space = golden.GetProperty("space").GetString()!;
            var (pixels, channels) = ProposalsGolden.ColourSpace(image, space);
            var (_, width, height) = ProposalsGolden.Image(image);
            var segmentation = new GraphSegmentation(golden.GetProperty("sigma").GetDouble(), golden.GetProperty("k").GetSingle(), golden.GetProperty("min_size").GetInt32());
            var ours = segmentation.Segment(pixels, width, height, channels);
            var expected = ProposalsGolden.Labels(golden);
            string what = $"image {image}, {space}, sigma {segmentation.Sigma}, k {segmentation.K}";
            Assert.AreEqual(golden.GetProperty("regions").GetInt32(), ours.RegionCount, what);
            // Both number regions by first appearance in raster order, so equal partitions give equal labels.
            int equal = expected.Zip(ours.Labels, (a, b) => a == b ? 1 : 0).Sum();
            Assert.AreEqual(expected.Length, equal, $"{what}: {100.0 * equal / expected.Length:F3}% of the pixels agree.");
            compared++;
        }
        Assert.AreEqual(12, compared);
    }

    [TestMethod]
    public void SmoothingEqualsOpenCVsGaussianBlurToTheBit()
    {
        foreach (var golden in ProposalsGolden.Section("smoothing").EnumerateArray())
        {
            int index = golden.GetProperty("image").GetInt32();
            double sigma = golden.GetProperty("sigma").GetDouble();
            var (bgr, width, height) = ProposalsGolden.Image(index);
            var planes = GaussianSmoothing.Smooth(bgr, width, height, 3, sigma);
            var interleaved = new float[bgr.Length];
            for (int i = 0; i < width * height; i++)
            {
                for (int c = 0; c < 3; c++)
                    interleaved[3 * i + c] = planes[c][i];
            }
            var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(interleaved.AsSpan()).ToArray();
            Assert.AreEqual(golden.GetProperty("sha256").GetString(), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), $"image {index}, sigma {sigma}");
        }
    }

    [TestMethod]
    public void AnImageSegmentsTheSameFromMLImageAsFromItsBgrBytes()
    {
        using var image = ProposalsGolden.MLImage(0);
        var (bgr, width, height) = ProposalsGolden.Image(0);
        var segmentation = new GraphSegmentation();
        CollectionAssert.AreEqual(segmentation.Segment(bgr, width, height, 3).Labels, segmentation.Segment(image).Labels);
    }

    [TestMethod]
    public void TinyImagesSegmentWithoutError()
    {
        var one = new GraphSegmentation().Segment(new byte[] { 1, 2, 3 }, 1, 1, 3);
        Assert.AreEqual(1, one.RegionCount);
        var flat = new GraphSegmentation(0.8, 10, 0).Segment(Enumerable.Repeat((byte)77, 6).ToArray(), 3, 2, 1);
        CollectionAssert.AreEqual(new int[6], flat.Labels);
        var strip = new GraphSegmentation(0.8, 0, 0).Segment(new byte[] { 0, 0, 0, 0, 255, 255, 255, 255 }, 8, 1, 1);
        Assert.AreEqual(8, strip.Labels.Length);
        Assert.AreNotEqual(strip.Labels[0], strip.Labels[7], "k = 0 must keep the dark and the bright end apart.");
    }

    [TestMethod]
    public void BadSettingsAndPixelsAreRefusedNamingThem()
    {
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new GraphSegmentation(sigma: 0)).Message, "Sigma");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new GraphSegmentation(k: -1)).Message, "K must");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new GraphSegmentation(minSize: -5)).Message, "MinSize");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new GraphSegmentation().Segment(Array.Empty<byte>(), 0, 0, 3)).Message, "empty");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new GraphSegmentation().Segment(new byte[10], 2, 2, 3)).Message, "has 12 bytes, got 10");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new GraphSegmentation().Segment(new byte[10], 2, 1, 5)).Message, "1 to 4 channels");
    }
}
