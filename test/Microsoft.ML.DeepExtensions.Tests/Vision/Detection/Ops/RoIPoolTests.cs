using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Detection.Ops;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Ops;

/// <summary><see cref="RoIPool"/> against torchvision 0.14's <c>roi_pool</c>: roi_ops_golden.json, written by generate_roi_ops.py.</summary>
[TestClass]
public sealed class RoIPoolTests
{
    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    private static IEnumerable<object[]> PoolCases() => RoIGolden.CaseNames("pool");

    [TestMethod]
    [DynamicData(nameof(PoolCases))]
    public void Apply_MatchesTorchvision_ValuesAndInputGradients(string name)
    {
        using var scope = torch.NewDisposeScope();
        var golden = RoIGolden.Case("pool", name);
        var rois = RoIGolden.Tensor(golden.GetProperty("rois")).reshape(-1, 5);
        using var module = new RoIPool(RoIGolden.Size(golden.GetProperty("output_size")), golden.GetProperty("spatial_scale").GetDouble());

        RoIGolden.AssertOutputAndGradient(golden, RoIGolden.InputLeaf("pool"), input => module.forward(input, rois), name);
    }

    [TestMethod]
    public void EmptyBins_GiveZero_AndPerImageListsMatchTheRoiForm()
    {
        using var scope = torch.NewDisposeScope();
        var input = torch.arange(2 * 1 * 4 * 4, dtype: ScalarType.Float32).reshape(2, 1, 4, 4) + 1;
        // Image 1, a box right of the map: every bin is empty.
        var outside = RoIPool.Apply(input, torch.tensor(new float[] { 1, 10, 0, 14, 3 }, new long[] { 1, 5 }), (2, 2));
        Assert.AreEqual(0f, outside.abs().sum().item<float>());

        var boxes = new[] { torch.tensor(new float[] { 0, 0, 1, 1 }, new long[] { 1, 4 }), torch.tensor(new float[] { 0, 0, 3, 3, 2, 2, 3, 3 }, new long[] { 2, 4 }) };
        var fromLists = RoIPool.Apply(input, boxes, (1, 1));
        // Maxima: image 0's top-left 2x2 block ends at value 6; image 1's whole map at 32, its bottom-right block at 32.
        CollectionAssert.AreEqual(new float[] { 6, 32, 32 }, fromLists.reshape(-1).data<float>().ToArray());
    }

    [TestMethod]
    public void BadArguments_AreNamed()
    {
        using var scope = torch.NewDisposeScope();
        var input = torch.zeros(1, 2, 5, 5);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => RoIPool.Apply(input, torch.zeros(3), (2, 2))).Message, "rois must have shape [K, 5]");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => RoIPool.Apply(input, torch.tensor(new float[] { 1, 0, 0, 2, 2 }, new long[] { 1, 5 }), (2, 2))).Message,
            "must be an integer in [0, 1)");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => RoIPool.Apply(input, torch.tensor(new float[] { 0, 0, float.PositiveInfinity, 2, 2 }, new long[] { 1, 5 }), (2, 2))).Message,
            "rois must have finite coordinates");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RoIPool((2, 2), 0)).Message, "spatialScale must be a positive finite number (feature-map size / image size), got 0");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RoIPool.Apply(input, torch.zeros(0, 5), (2, 0))).Message, "outputSize must be positive");
    }
}
