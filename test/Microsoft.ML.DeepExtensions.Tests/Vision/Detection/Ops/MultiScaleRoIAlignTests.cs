using System.Text.Json;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Detection.Ops;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Ops;

/// <summary>
/// <see cref="MultiScaleRoIAlign"/> and <see cref="FpnLevelMapper"/> against torchvision 0.14's <c>MultiScaleRoIAlign</c>
/// and <c>LevelMapper</c>: roi_ops_golden.json, written by generate_roi_ops.py.
/// </summary>
[TestClass]
public sealed class MultiScaleRoIAlignTests
{
    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    private static IEnumerable<object[]> MultiScaleCases() => RoIGolden.CaseNames("multiscale");

    private static JsonElement Case(string name) => RoIGolden.Case("multiscale", name);

    [TestMethod]
    [DynamicData(nameof(MultiScaleCases))]
    public void Forward_MatchesTorchvision_ValuesAndGradientsOfEveryLevel(string name)
    {
        using var scope = torch.NewDisposeScope();
        var golden = Case(name);
        var maps = golden.GetProperty("maps").EnumerateObject().ToDictionary(p => p.Name, p => RoIGolden.Tensor(p.Value).requires_grad_(true));
        var boxes = golden.GetProperty("boxes").EnumerateArray().Select(b => RoIGolden.Tensor(b).reshape(-1, 4)).ToArray();
        var sizes = golden.GetProperty("image_sizes").EnumerateArray().Select(RoIGolden.Size).ToArray();
        using var pooler = new MultiScaleRoIAlign(golden.GetProperty("featmap_names").EnumerateArray().Select(n => n.GetString()!).ToArray(),
            RoIGolden.Size(golden.GetProperty("output_size")), golden.GetProperty("sampling_ratio").GetInt32(),
            golden.GetProperty("canonical_scale").GetInt32(), golden.GetProperty("canonical_level").GetInt32());

        var output = pooler.forward(maps, boxes, sizes);
        (output * RoIGolden.Tensor(golden.GetProperty("grad_weights"))).sum().backward();

        RoIGolden.AssertClose(golden.GetProperty("output"), output, $"{name} output");
        foreach (var grad in golden.GetProperty("map_grads").EnumerateObject())
        {
            var actual = maps[grad.Name].grad ?? torch.zeros_like(maps[grad.Name]);
            RoIGolden.AssertClose(grad.Value, actual, $"{name} gradient of map '{grad.Name}'");
        }
    }

    [TestMethod]
    [DynamicData(nameof(MultiScaleCases))]
    public void LevelMapper_MatchesTorchvision(string name)
    {
        using var scope = torch.NewDisposeScope();
        var golden = Case(name);
        var boxes = torch.cat(golden.GetProperty("boxes").EnumerateArray().Select(b => RoIGolden.Tensor(b).reshape(-1, 4)).ToArray(), 0);
        var mapper = new FpnLevelMapper(golden.GetProperty("min_level").GetInt32(), golden.GetProperty("max_level").GetInt32(),
            golden.GetProperty("canonical_scale").GetInt32(), golden.GetProperty("canonical_level").GetInt32());

        CollectionAssert.AreEqual(golden.GetProperty("levels").EnumerateArray().Select(e => e.GetInt64()).ToArray(), mapper.Levels(boxes).data<long>().ToArray());
    }

    [TestMethod]
    public void FourLevelCase_UsesEveryLevel()
    {
        var levels = Case("four_levels").GetProperty("levels").EnumerateArray().Select(e => e.GetInt64()).Distinct().Order().ToArray();
        CollectionAssert.AreEqual(new long[] { 0, 1, 2, 3 }, levels, "the golden case must route boxes to all four levels");
    }

    [TestMethod]
    public void BadArguments_AreNamed()
    {
        using var scope = torch.NewDisposeScope();
        var maps = new Dictionary<string, Tensor> { ["0"] = torch.zeros(1, 2, 16, 16), ["1"] = torch.zeros(1, 2, 8, 8), ["2"] = torch.zeros(1, 2, 2, 2) };
        var boxes = new[] { torch.tensor(new float[] { 0, 0, 10, 10 }, new long[] { 1, 4 }) };
        var sizes = new[] { (64, 64) };

        using var missing = new MultiScaleRoIAlign(new[] { "0", "p3" }, (2, 2), 2);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => missing.forward(maps, boxes, sizes)).Message, "features has no map 'p3' (featureMapNames); it has [0, 1, 2]");
        using var skipping = new MultiScaleRoIAlign(new[] { "0", "2" }, (2, 2), 2);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => skipping.forward(maps, boxes, sizes)).Message,
            "Feature maps must halve in size from one level to the next (finest first), but '0' has scale 0.25 and '2' 0.03125");
        using var pooler = new MultiScaleRoIAlign(new[] { "0", "1" }, (2, 2), 2);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => pooler.forward(maps, boxes, new[] { (64, 64), (64, 64) })).Message,
            "imageSizes must give one size per image of boxes (1), got 2");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => pooler.forward(maps, boxes, new[] { (8, 8) })).Message,
            "Feature map '0' (16 rows) is larger than the images (8 rows)");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new MultiScaleRoIAlign(Array.Empty<string>(), (2, 2), 2)).Message,
            "featureMapNames must name at least one feature map");
        var mixed = new Dictionary<string, Tensor> { ["0"] = torch.zeros(1, 2, 16, 16), ["1"] = torch.zeros(1, 3, 8, 8) };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => pooler.forward(mixed, boxes, sizes)).Message,
            "features['1'] must match features['0'] in batch size, channels, dtype and device");
    }
}
