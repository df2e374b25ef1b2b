using Microsoft.ML.DeepExtensions.Vision.Haar;
using OpenCvSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Haar;

/// <summary>The pieces under the detector, each against OpenCV on a real photo.</summary>
[TestClass]
public sealed unsafe class PyramidArithmeticTests
{
    [TestMethod]
    public void ResizeIsBitExactWithOpenCvLinearExact()
    {
        using var gray = HaarTestData.Gray(HaarTestData.OpenCvPhoto("messi5.jpg"), 400);
        byte[] pixels = HaarTestData.Pixels(gray);
        int w = gray.Width, h = gray.Height;
        foreach (float scale in new[] { 1.1f, 1.21f, 1.331f, 1.5f, 2f, 2.3579477f, 3.7f, 7.9f })
        {
            int dw = (int)MathF.Round(w / scale), dh = (int)MathF.Round(h / scale);
            using var expected = new Mat();
            Cv2.Resize(gray, expected, new Size(dw, dh), 1.0 / scale, 1.0 / scale, InterpolationFlags.LinearExact);
            var actual = new byte[dw * dh];
            fixed (byte* src = pixels)
            fixed (byte* dst = actual)
                ExactBilinearResize.Resize(src, w, h, w, dst, dw, dh, dw);
            CollectionAssert.AreEqual(HaarTestData.Pixels(expected), actual, $"scale {scale} ({dw}x{dh})");
        }
    }

    [TestMethod]
    public void IntegralImagesMatchOpenCv()
    {
        using var gray = HaarTestData.Gray(HaarTestData.SkimagePhoto("astronaut.png"), 512);
        byte[] pixels = HaarTestData.Pixels(gray);
        int w = gray.Width, h = gray.Height;
        using var sum = new Mat();
        using var sqsum = new Mat();
        using var tilted = new Mat();
        Cv2.Integral(gray, sum, sqsum, tilted, MatType.CV_32S, MatType.CV_32S);
        var integrals = new IntegralImages(w, h, tilted: true);
        fixed (byte* src = pixels)
            integrals.Compute(src, w, h, w);
        for (int y = 0; y <= h; y++)
        {
            for (int x = 0; x <= w; x++)
            {
                int i = y * integrals.Stride + x;
                Assert.AreEqual(sum.At<int>(y, x), integrals.Sums[i], $"sum at ({x},{y})");
                Assert.AreEqual(sqsum.At<int>(y, x), integrals.Squares[i], $"sqsum at ({x},{y})");
                Assert.AreEqual(tilted.At<int>(y, x), integrals.Sums[integrals.TiltedOffset + i], $"tilted at ({x},{y})");
            }
        }
    }

    [TestMethod]
    public void RowStripesCanEndOneStepBeforeTheLastWindowRow()
    {
        // 333x222 with the 36x18 smile window: 298 window columns on the first level make 10 stripes;
        // the level of scale 1.1^5 is 207x138, so 121 window rows, 60 steps of 2, stripes of 12 rows: 120 scanned.
        var levels = PyramidLevel.Plan(333, 222, 36, 18, new HaarDetectionOptions());
        var level = levels.Single(l => l.WindowWidth == 58);
        Assert.AreEqual((207, 138, 2), (level.Width, level.Height, level.Step));
        Assert.AreEqual(120, level.RowLimit);
        Assert.AreEqual(222 + 1 - 18, levels[0].RowLimit, "The first level's rows are all scanned.");
    }

    [TestMethod]
    public void GroupingMatchesOpenCvGroupRectangles()
    {
        // Raw hits of a real scan (OpenCV's own, minNeighbors 0), grouped by both.
        using var gray = HaarTestData.Gray(HaarTestData.SkimagePhoto("astronaut.png"), 300);
        using var classifier = new CascadeClassifier(HaarTestData.Cascade("haarcascade_eye.xml"));
        Rect[] raw = classifier.DetectMultiScale(gray, 1.05, 0);
        Assert.IsTrue(raw.Length > 20, $"Only {raw.Length} raw hits; the comparison would be weak.");
        foreach (int threshold in new[] { 1, 2, 3, 5 })
        {
            var expected = raw.ToList();
            Cv2.GroupRectangles(expected, out int[] weights, threshold, 0.2);
            var actual = RectangleGrouping.Group(raw.Select(r => new System.Drawing.Rectangle(r.X, r.Y, r.Width, r.Height)).ToList(), threshold);
            Assert.AreEqual(expected.Count, actual.Count, $"threshold {threshold}");
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.AreEqual(expected[i], new Rect(actual[i].Box.X, actual[i].Box.Y, actual[i].Box.Width, actual[i].Box.Height), $"threshold {threshold}, group {i}");
                Assert.AreEqual(weights[i], actual[i].Neighbors, $"threshold {threshold}, group {i}");
            }
        }
    }
}
