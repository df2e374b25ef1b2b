using Microsoft.ML.DeepExtensions.Vision.Detection.Ops;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Ops;

/// <summary>The chunk planner of the RoI operators: bounded chunks, input order kept when all RoIs are alike.</summary>
[TestClass]
public sealed class RoIChunksTests
{
    [TestMethod]
    public void EqualExtents_KeepInputOrder_InEqualChunksUnderTheBound()
    {
        var (order, chunks) = RoIChunks.Plan(Enumerable.Repeat(2, 10).ToArray(), Enumerable.Repeat(2, 10).ToArray(), elementsPerExtentCell: 10, bound: 120);

        Assert.IsNull(order);
        // 4 values of extent per RoI x 10 = 40 per RoI: 3 RoIs per chunk.
        CollectionAssert.AreEqual(new[] { (0, 3), (3, 3), (6, 3), (9, 1) }, chunks.Select(c => (c.Start, c.Count)).ToArray());
    }

    [TestMethod]
    public void MixedExtents_AreVisitedBySize_AndAnOversizedRoiGoesAlone()
    {
        var (order, chunks) = RoIChunks.Plan(new[] { 5, 1, 1, 20, 1 }, new[] { 5, 1, 2, 20, 1 }, elementsPerExtentCell: 1, bound: 60);

        CollectionAssert.AreEqual(new long[] { 1, 4, 2, 0, 3 }, order);
        CollectionAssert.AreEqual(new[] { (0, 3, 1, 2), (3, 1, 5, 5), (4, 1, 20, 20) },
            chunks.Select(c => (c.Start, c.Count, c.ExtentY, c.ExtentX)).ToArray());
    }
}
