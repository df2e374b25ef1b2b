using Microsoft.ML.DeepExtensions.Vision.Layers;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Layers;

[TestClass]
public sealed class ConvolutionArithmeticTests
{
    [TestMethod]
    public void CheatSheetExamples()
    {
        // "n+2p-f/s+1 ... (6, 1, 3, 1) = 6" and "n-f/s+1 (5, 3, 1) = 3".
        Assert.AreEqual(6, ConvolutionArithmetic.OutputSize(6, 3, stride: 1, padding: 1));
        Assert.AreEqual(3, ConvolutionArithmetic.OutputSize(5, 3, stride: 1));
    }

    [TestMethod]
    public void DilationWidensTheFilter()
    {
        Assert.AreEqual(5, ConvolutionArithmetic.EffectiveFilterSize(3, dilation: 2));
        Assert.AreEqual(3, ConvolutionArithmetic.OutputSize(7, 3, dilation: 2)); // (7 - 5) / 1 + 1
        Assert.AreEqual(2, ConvolutionArithmetic.OutputSize(8, 3, stride: 2, padding: 1, dilation: 3)); // (8 + 2 - 7) / 2 + 1
    }

    [TestMethod]
    public void CeilModeRoundsUpButDropsAWindowStartingInThePadding()
    {
        Assert.AreEqual(56, ConvolutionArithmetic.OutputSize(112, 3, stride: 2, ceilMode: true)); // GoogLeNet's maxpool1
        Assert.AreEqual(55, ConvolutionArithmetic.OutputSize(112, 3, stride: 2));
        // 5 + 2 - 2 = 5 → ceil(5 / 2) + 1 = 4, but the 4th window would start at 6 ≥ 5 + 1: PyTorch gives 3.
        Assert.AreEqual(3, ConvolutionArithmetic.OutputSize(5, 2, stride: 2, padding: 1, ceilMode: true));
    }

    [TestMethod]
    public void MinimumInputIsTheSmallestSizeWithAnOutput()
    {
        foreach (int f in new[] { 1, 2, 3, 5, 7, 11 })
        foreach (int s in new[] { 1, 2, 3, 4 })
        foreach (int p in new[] { 0, 1, 2 })
        foreach (int d in new[] { 1, 2 })
        foreach (bool ceil in new[] { false, true })
        {
            long min = ConvolutionArithmetic.MinimumInput(f, s, p, d, ceil);
            string what = $"f={f} s={s} p={p} d={d} ceil={ceil}";
            Assert.IsTrue(ConvolutionArithmetic.OutputSize(min, f, s, p, d, ceil) >= 1, what);
            if (min > 1)
                Assert.IsTrue(ConvolutionArithmetic.OutputSize(min - 1, f, s, p, d, ceil) < 1, what);
        }
    }

    [TestMethod]
    public void SamePaddingKeepsCeilOfSizeOverStride()
    {
        for (int n = 1; n <= 20; n++)
        foreach (int f in new[] { 1, 2, 3, 4, 5 })
        foreach (int s in new[] { 1, 2, 3 })
        foreach (int d in new[] { 1, 2 })
        {
            var (before, after) = ConvolutionArithmetic.SamePadding(n, f, s, d);
            Assert.IsTrue(after - before is 0 or 1, "the odd pixel goes after");
            Assert.AreEqual((n + s - 1) / s, ConvolutionArithmetic.OutputSize(n + before + after, f, s, 0, d), $"n={n} f={f} s={s} d={d}");
        }
    }
}
