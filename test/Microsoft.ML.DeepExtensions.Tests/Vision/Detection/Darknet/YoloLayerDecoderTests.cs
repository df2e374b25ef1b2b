using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Darknet;

/// <summary>
/// The decoder on a non-square grid with AlexeyAB's scale_x_y, against the formulas written out per element (Darknet's
/// own decode without scale_x_y is checked in <see cref="DarknetParityTests"/>).
/// </summary>
[TestClass]
public sealed class YoloLayerDecoderTests
{
    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    [TestMethod]
    public void Decode_FollowsTheFormulas_WithScaleXY()
    {
        using var scope = torch.NewDisposeScope();
        var settings = new DarknetYoloSettings(5, Classes: 2, AllAnchors: new[] { (10f, 20f), (30f, 15f), (50f, 60f) }, Mask: new[] { 2, 0 },
            IgnoreThreshold: 0.5f, TruthThreshold: 1f, ScaleXY: 1.2f, Jitter: 0.2f);
        var head = new YoloHead(settings, 0, GridHeight: 2, GridWidth: 3, NetworkHeight: 64, NetworkWidth: 96);
        Assert.AreEqual(32f, head.StrideX);
        Assert.AreEqual(32f, head.StrideY);
        var raw = torch.randn(2, 2 * 7, 2, 3).mul(2);
        var decoder = new YoloLayerDecoder(head);
        using var predictions = decoder.Decode(raw);
        CollectionAssert.AreEqual(new long[] { 2, 12, 4 }, predictions.Boxes.shape);
        CollectionAssert.AreEqual(new long[] { 2, 12 }, predictions.Objectness.shape);
        CollectionAssert.AreEqual(new long[] { 2, 12, 2 }, predictions.ClassProbabilities.shape);

        var r = raw.data<float>().ToArray();
        var boxes = predictions.Boxes.data<float>().ToArray();
        var objectness = predictions.Objectness.data<float>().ToArray();
        var probabilities = predictions.ClassProbabilities.data<float>().ToArray();
        using var thresholded = predictions.Thresholded(0.4f);
        var kept = thresholded.data<float>().ToArray();
        using var candidates = predictions.Candidates(0.4f);
        var isCandidate = candidates.data<bool>().ToArray();
        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        for (int n = 0; n < 2; n++)
        for (int a = 0; a < 2; a++)
        for (int row = 0; row < 2; row++)
        for (int col = 0; col < 3; col++)
        {
            // raw[n, a·7 + entry, row, col]
            double Entry(int entry) => r[((n * 14 + a * 7 + entry) * 2 + row) * 3 + col];
            var anchor = settings.AllAnchors[settings.Mask[a]];
            double cx = (col + 1.2 * Sigmoid(Entry(0)) - 0.1) / 3 * 96, cy = (row + 1.2 * Sigmoid(Entry(1)) - 0.1) / 2 * 64;
            double w = Math.Exp(Entry(2)) * anchor.Item1, h = Math.Exp(Entry(3)) * anchor.Item2;
            double obj = Sigmoid(Entry(4));
            int p = n * 12 + a * 6 + row * 3 + col;
            string at = $"image {n} anchor {a} cell ({row}, {col})";
            AssertClose(new[] { cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2 }, boxes.AsSpan(4 * p, 4).ToArray(), at + " box");
            AssertClose(new[] { obj }, new[] { objectness[p] }, at + " objectness");
            Assert.AreEqual(obj > 0.4, isCandidate[p], at + " candidate");
            for (int c = 0; c < 2; c++)
            {
                double prob = obj * Sigmoid(Entry(5 + c));
                AssertClose(new[] { prob }, new[] { probabilities[2 * p + c] }, at + " probability");
                AssertClose(new[] { prob > 0.4 && obj > 0.4 ? prob : 0 }, new[] { kept[2 * p + c] }, at + " thresholded probability");
            }
        }

        var arranged = decoder.Arrange(raw);
        CollectionAssert.AreEqual(new long[] { 2, 2, 2, 3, 7 }, arranged.shape);
        Assert.ThrowsExactly<ArgumentException>(() => decoder.Decode(torch.zeros(1, 14, 3, 3)));
    }

    private static void AssertClose(double[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], actual[i], 1e-4 * (1 + Math.Abs(expected[i])), $"{what}[{i}]");
    }
}
