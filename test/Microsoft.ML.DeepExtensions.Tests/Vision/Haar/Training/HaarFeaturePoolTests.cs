using Microsoft.ML.DeepExtensions.Vision.Haar;
using Microsoft.ML.DeepExtensions.Vision.Haar.Training;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Haar.Training;

[TestClass]
public sealed class HaarFeaturePoolTests
{
    [TestMethod]
    public void BasicPoolOfA24x24WindowHasOpenCvsFeatureCount()
    {
        // opencv_traincascade reports "Number of features: 162336" for -w 24 -h 24 -mode BASIC.
        Assert.AreEqual(162_336, HaarFeaturePool.Generate(24, 24, HaarFeatureMode.Basic).Count);
    }

    [TestMethod]
    [DataRow(HaarFeatureMode.Basic)]
    [DataRow(HaarFeatureMode.Core)]
    [DataRow(HaarFeatureMode.All)]
    public void EveryFeatureFitsTheWindowAndIgnoresAFlatWindow(HaarFeatureMode mode)
    {
        var pool = HaarFeaturePool.Generate(12, 10, mode);
        Assert.IsTrue(pool.Count > 0);
        foreach (var feature in pool)
        {
            Assert.IsTrue(feature.FitsWindow(12, 10));
            // On a flat window every rectangle sum is its area times the grey level: the weights cancel.
            double response = feature.Rectangles.Sum(r => (double)r.Weight * r.Width * r.Height);
            Assert.AreEqual(0, response, 1e-9);
            Assert.AreEqual(mode == HaarFeatureMode.All && feature.Tilted, feature.Tilted);
        }
        Assert.AreEqual(pool.Count, pool.Select(Key).Distinct().Count(), "A feature appears twice.");
    }

    [TestMethod]
    public void CoreAddsToBasicAndAllAddsTiltedFeatures()
    {
        var basic = HaarFeaturePool.Generate(12, 12, HaarFeatureMode.Basic).Select(Key).ToHashSet();
        var core = HaarFeaturePool.Generate(12, 12, HaarFeatureMode.Core).Select(Key).ToHashSet();
        var all = HaarFeaturePool.Generate(12, 12, HaarFeatureMode.All);
        Assert.IsTrue(basic.IsProperSubsetOf(core));
        Assert.IsTrue(core.IsProperSubsetOf(all.Select(Key).ToHashSet()));
        Assert.IsTrue(all.Any(f => f.Tilted));
        Assert.IsTrue(core.Count > basic.Count && all.Count > core.Count);
        // The center-surround feature is only in core: a 3x3 block with its center weighted 9.
        Assert.IsTrue(core.Except(basic).Any(k => k.Contains("w9")));
    }

    [TestMethod]
    public void WindowTooSmallForAFeatureIsRefused()
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => HaarFeaturePool.Generate(1, 24, HaarFeatureMode.Basic));
        StringAssert.Contains(error.Message, "1x24");
    }

    private static string Key(HaarFeature f) =>
        (f.Tilted ? "t:" : "u:") + string.Join(";", f.Rectangles.Select(r => $"{r.X},{r.Y},{r.Width},{r.Height},w{r.Weight}"));
}
