using System.Text.Json;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Detection.Ops;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Ops;

/// <summary><see cref="RoIAlign"/> against torchvision 0.14's <c>roi_align</c>: roi_ops_golden.json, written by generate_roi_ops.py.</summary>
[TestClass]
public sealed class RoIAlignTests
{
    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    private static IEnumerable<object[]> AlignCases() => RoIGolden.CaseNames("align");

    [TestMethod]
    [DynamicData(nameof(AlignCases))]
    public void Apply_MatchesTorchvision_ValuesAndInputGradients(string name)
    {
        using var scope = torch.NewDisposeScope();
        var golden = RoIGolden.Case("align", name);
        var rois = RoIGolden.Tensor(golden.GetProperty("rois")).reshape(-1, 5);

        RoIGolden.AssertOutputAndGradient(golden, RoIGolden.InputLeaf("align"), input => RoIAlign.Apply(input, rois, RoIGolden.Size(golden.GetProperty("output_size")),
            golden.GetProperty("spatial_scale").GetDouble(), golden.GetProperty("sampling_ratio").GetInt32(), golden.GetProperty("aligned").GetBoolean()), name);
    }

    [TestMethod]
    public void ModuleWithPerImageBoxLists_MatchesTorchvision_IncludingAnImageWithoutBoxes()
    {
        using var scope = torch.NewDisposeScope();
        var golden = RoIGolden.Section("align_list");
        var boxes = golden.GetProperty("boxes").EnumerateArray().Select(b => RoIGolden.Tensor(b).reshape(-1, 4)).ToArray();
        Assert.AreEqual(0L, boxes[1].shape[0], "image 1 must have no boxes");
        using var module = new RoIAlign(RoIGolden.Size(golden.GetProperty("output_size")), golden.GetProperty("spatial_scale").GetDouble(),
            golden.GetProperty("sampling_ratio").GetInt32());

        RoIGolden.AssertOutputAndGradient(golden, RoIGolden.InputLeaf("align"), input => module.forward(input, boxes), "per-image lists");
    }

    [TestMethod]
    public void Float64Features_GiveFloat64_WithTorchvisionValuesAndGradients()
    {
        using var scope = torch.NewDisposeScope();
        var golden = RoIGolden.Cases("align").First();
        var input = RoIGolden.Tensor(RoIGolden.Section("align").GetProperty("input")).to(ScalarType.Float64).requires_grad_(true);
        var rois = RoIGolden.Tensor(golden.GetProperty("rois")).to(ScalarType.Float64);

        RoIGolden.AssertOutputAndGradient(golden, input, features =>
        {
            var output = RoIAlign.Apply(features, rois, RoIGolden.Size(golden.GetProperty("output_size")), golden.GetProperty("spatial_scale").GetDouble(),
                golden.GetProperty("sampling_ratio").GetInt32(), golden.GetProperty("aligned").GetBoolean());
            Assert.AreEqual(ScalarType.Float64, output.dtype);
            return output;
        }, "float64");
    }

    [TestMethod]
    public void ManyChunks_GiveEachRoisOwnResult_InInputOrder_AndNoGradientToBoxes()
    {
        // With a chunk bound of 10,000 interpolation entries, 300 RoIs at 7x7 bins and adaptive grids of 1x1 to 4x4
        // samples (196 to 3,136 entries each) are laid out in many chunks, visited by grid size; each RoI must still
        // get what it gets alone.
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(7);
        var input = torch.randn(2, 8, 20, 24).requires_grad_(true);
        var corners = torch.rand(300, 2) * 20;
        var sizes = torch.rand(300, 2) * 27 + 1;
        var rois = torch.cat(new[] { torch.randint(0, 2, new long[] { 300, 1 }).to(ScalarType.Float32), corners, corners + sizes }, 1).requires_grad_(true);
        const long bound = 10_000;
        var (extentY, extentX) = RoIGather.HostExtents(((rois[.., 4] - rois[.., 2]).clamp_min(1) / 7).ceil(), ((rois[.., 3] - rois[.., 1]).clamp_min(1) / 7).ceil());
        var (order, chunks) = RoIChunks.Plan(extentY, extentX, 7 * 7 * 4L, bound);
        Assert.IsNotNull(order, "RoIs of different grids must be reordered");
        Assert.IsTrue(chunks.Count > 20, $"the case must need many chunks, got {chunks.Count}");
        Assert.IsTrue(chunks.All(c => c.Count == 1 || c.Count * c.ExtentY * c.ExtentX * 7 * 7 * 4L <= bound), "a chunk of several RoIs exceeds the bound");

        var all = RoIAlign.Compute(input, rois, (7, 7), 1.0, samplingRatio: -1, aligned: false, bound);
        var oneChunk = RoIAlign.Apply(input, rois, (7, 7), 1.0, samplingRatio: -1);
        all.sum().backward();

        Assert.IsNull(rois.grad, "boxes get no gradient, as in torchvision");
        Assert.IsTrue(torch.allclose(all, oneChunk, rtol: 1e-5, atol: 1e-6), "many chunks and one chunk differ");
        foreach (long k in new long[] { 0, 1, 77, 150, 299 })
        {
            var alone = RoIAlign.Apply(input, rois.narrow(0, k, 1), (7, 7), 1.0, samplingRatio: -1);
            Assert.IsTrue(torch.allclose(all.narrow(0, k, 1), alone, rtol: 1e-5, atol: 1e-6), $"RoI {k} differs from its result alone");
        }
    }

    [TestMethod]
    public void BadArguments_AreNamed_WithValueAndRule()
    {
        using var scope = torch.NewDisposeScope();
        var input = torch.zeros(2, 3, 8, 8);
        var rois = torch.tensor(new float[] { 0, 1, 1, 4, 4, 1, 2, 2, 6, 6 }, new long[] { 2, 5 });

        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => RoIAlign.Apply(input, torch.zeros(2, 4), (2, 2))).Message,
            "rois must have shape [K, 5] (batch index, x0, y0, x1, y1), got [2, 4]");
        var outOfRange = rois.clone();
        outOfRange[1, 0] = torch.tensor(2f);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => RoIAlign.Apply(input, outOfRange, (2, 2))).Message,
            "rois[:, 0] is the batch index and must be an integer in [0, 2) (the feature map has 2 images), got 2 in row 1");
        var fractional = rois.clone();
        fractional[0, 0] = torch.tensor(0.5f);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => RoIAlign.Apply(input, fractional, (2, 2))).Message, "got 0.5 in row 0");
        var nonFinite = rois.clone();
        nonFinite[1, 3] = torch.tensor(float.NaN);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => RoIAlign.Apply(input, nonFinite, (2, 2))).Message,
            "rois must have finite coordinates, got [1, 2, 2, NaN, 6] in row 1");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RoIAlign.Apply(input, rois, (0, 2))).Message,
            "outputSize must be positive in both dimensions, got (0, 2)");
        foreach (double scale in new[] { 0.0, -0.25, double.NaN, double.PositiveInfinity })
        {
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RoIAlign.Apply(input, rois, (2, 2), scale)).Message,
                "spatialScale must be a positive finite number");
        }
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => RoIAlign.Apply(torch.zeros(3, 8, 8), rois, (2, 2))).Message,
            "input must be a feature map of shape [N, C, H, W], got [3, 8, 8]");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => RoIAlign.Apply(input, new[] { torch.zeros(1, 4), torch.zeros(2, 5) }, (2, 2))).Message,
            "boxes[1] must have shape [Ki, 4] (x0, y0, x1, y1), got [2, 5]");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => RoIAlign.Apply(input, new[] { torch.zeros(1, 4), torch.zeros(1, 4), torch.zeros(1, 4) }, (2, 2))).Message,
            "boxes has boxes for 3 images, but the feature map has 2");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RoIAlign((2, -1), 0.5)).Message, "outputSize");
    }
}
