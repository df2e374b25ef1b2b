using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection.Segmentation;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Segmentation;

[TestClass]
public sealed class InstanceMasksTests
{
    private static InstanceMask Mask(int left, int top, params string[] rows) =>
        new(left, top, rows[0].Length, rows.Length, rows.SelectMany(r => r.Select(c => c == '#' ? (byte)1 : (byte)0)).ToArray());

    [TestMethod]
    public void ASquareWithAHoleIsAnOuterRingAndAHoleRing()
    {
        var mask = Mask(10, 20, "###", "#.#", "###");
        var polygons = InstanceMasks.ToPolygons(mask);
        Assert.AreEqual(2, polygons.Count);
        var rings = polygons.OrderByDescending(p => Math.Abs(Area(p))).ToArray();
        CollectionAssert.AreEquivalent(new[] { (10, 20), (13, 20), (13, 23), (10, 23) }, rings[0].ToArray());
        CollectionAssert.AreEquivalent(new[] { (11, 21), (12, 21), (12, 22), (11, 22) }, rings[1].ToArray());
        Assert.IsTrue(Area(rings[0]) > 0, "outer ring clockwise on screen");
        Assert.IsTrue(Area(rings[1]) < 0, "hole counter-clockwise on screen");
    }

    [TestMethod]
    public void DiagonalNeighboursAreSeparateRegions()
    {
        var polygons = InstanceMasks.ToPolygons(Mask(0, 0, "#.", ".#"));
        Assert.AreEqual(2, polygons.Count);
        Assert.IsTrue(polygons.All(p => p.Count == 4 && Math.Abs(Area(p)) == 1));
    }

    [TestMethod]
    public void LabelImageGivesOverlapsToTheEarlierDetection()
    {
        var masks = new[] { Mask(0, 0, "##", "##"), Mask(1, 1, "##", "##") };
        var detections = new ObjectDetections(new float[] { 0, 0, 2, 2, 1, 1, 3, 3 }, new[] { 0, 1 }, new[] { 0.9f, 0.8f }, masks);
        var labels = InstanceMasks.ToLabelImage(detections, 4, 3);
        CollectionAssert.AreEqual(new[]
        {
            1, 1, 0, 0,
            1, 1, 2, 0,
            0, 2, 2, 0,
        }, labels);
    }

    /// <summary>Shoelace area; positive for clockwise rings on screen (y down).</summary>
    private static int Area(IReadOnlyList<(int X, int Y)> ring)
    {
        int twice = 0;
        for (int i = 0; i < ring.Count; i++)
        {
            var (x0, y0) = ring[i];
            var (x1, y1) = ring[(i + 1) % ring.Count];
            twice += x0 * y1 - x1 * y0;
        }
        return twice / 2;
    }
}
