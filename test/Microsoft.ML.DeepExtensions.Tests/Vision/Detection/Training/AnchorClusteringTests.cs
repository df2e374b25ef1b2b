using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Training;

/// <summary>k-means anchors with the 1 - IoU distance (YOLO9000) recover the shapes of clustered boxes.</summary>
[TestClass]
public sealed class AnchorClusteringTests
{
    [TestMethod]
    public void FindsTheCentresOfThreeShapeClusters()
    {
        var random = new Random(1);
        var centres = new (float W, float H)[] { (10, 12), (40, 20), (90, 110) };
        var sizes = Enumerable.Range(0, 300).Select(i =>
        {
            var (w, h) = centres[i % 3];
            return (w * (float)(0.9 + 0.2 * random.NextDouble()), h * (float)(0.9 + 0.2 * random.NextDouble()));
        }).ToArray();
        var anchors = AnchorClustering.KMeans(sizes, 3, seed: 7);
        for (int k = 0; k < 3; k++)
        {
            Assert.AreEqual(centres[k].W, anchors[k].Width, centres[k].W * 0.05, $"anchor {k} width");
            Assert.AreEqual(centres[k].H, anchors[k].Height, centres[k].H * 0.05, $"anchor {k} height");
        }
        Assert.IsTrue(AnchorClustering.MeanBestIou(sizes, anchors) > 0.85);
        CollectionAssert.AreEqual(anchors, AnchorClustering.KMeans(sizes, 3, seed: 7), "the same seed gives the same anchors");
    }

    [TestMethod]
    public void RefusesWhatCannotBeClustered()
    {
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => AnchorClustering.KMeans(new[] { (1f, 1f), (1f, 1f) }, 2, 1)).Message, "different box sizes");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => AnchorClustering.KMeans(new[] { (0f, 1f) }, 1, 1)).Message, "Box 0");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => AnchorClustering.KMeans(new[] { (1f, 1f) }, 0, 1));
    }
}
