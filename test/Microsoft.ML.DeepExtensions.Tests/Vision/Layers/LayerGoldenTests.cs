using Microsoft.ML.DeepExtensions.Backend;
using System.Text.Json;
using Microsoft.ML.DeepExtensions.Tests.BuildingBlocks;
using Microsoft.ML.DeepExtensions.Vision.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Layers;

/// <summary>Layer outputs against PyTorch 1.13 (Golden/generate_vision_layers.py).</summary>
[TestClass]
public sealed class LayerGoldenTests
{
    /// <summary>Starts LibTorch the library's way (idle OpenMP workers sleep) before any test touches a tensor.</summary>
    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    /// <summary>Runs the layer built for the case's input (one example) with the case's weights.</summary>
    private static void AssertMatchesPyTorch(JsonElement golden, Layer layer)
    {
        using var scope = torch.NewDisposeScope();
        var input = Golden.Floats(golden.GetProperty("input"));
        using var module = layer.Build(input.shape);
        module.eval();
        using (torch.no_grad())
        {
            foreach (var (name, parameter) in module.named_parameters())
                parameter.copy_(Golden.Floats(golden.GetProperty(name)));
            var output = module.call(input.unsqueeze(0)).squeeze(0);
            Golden.AssertClose(golden.GetProperty("output"), output, golden.GetProperty("name").GetString()!);
        }
    }

    [TestMethod]
    public void ConvolutionsMatchPyTorch()
    {
        var names = VisionGolden.LayerCases("convolution").ToArray();
        Assert.AreEqual(5, names.Length);
        foreach (var name in names)
        {
            var c = VisionGolden.Layer(name);
            var padding = c.GetProperty("padding") is { ValueKind: JsonValueKind.String } text
                ? (text.GetString() == "same" ? ConvolutionPadding.Same : ConvolutionPadding.Valid)
                : ConvolutionPadding.Explicit(c.GetProperty("padding").GetInt32());
            AssertMatchesPyTorch(c, new Convolution(c.GetProperty("filters").GetInt32(), c.GetProperty("kernel").GetInt32(),
                c.GetProperty("stride").GetInt32(), padding, c.GetProperty("dilation").GetInt32()));
        }
    }

    [TestMethod]
    public void LocalResponseNormalizationMatchesPyTorch()
    {
        foreach (var name in new[] { "lrn-alexnet", "lrn-strong" })
        {
            var c = VisionGolden.Layer(name);
            AssertMatchesPyTorch(c, new LocalResponseNormalization(c.GetProperty("size").GetInt32(), c.GetProperty("alpha").GetDouble(),
                c.GetProperty("beta").GetDouble(), c.GetProperty("k").GetDouble()));
        }
    }

    [TestMethod]
    public void PoolingMatchesPyTorch()
    {
        var max = VisionGolden.Layer("maxpool-ceil");
        AssertMatchesPyTorch(max, new MaxPooling(max.GetProperty("kernel").GetInt32(), max.GetProperty("stride").GetInt32(),
            max.GetProperty("padding").GetInt32(), max.GetProperty("ceil").GetBoolean()));
        var average = VisionGolden.Layer("avgpool-padded");
        AssertMatchesPyTorch(average, new AveragePooling(average.GetProperty("kernel").GetInt32(), average.GetProperty("stride").GetInt32(),
            average.GetProperty("padding").GetInt32(), average.GetProperty("ceil").GetBoolean()));
        var adaptive = VisionGolden.Layer("adaptive-avgpool");
        AssertMatchesPyTorch(adaptive, new AdaptiveAveragePooling(adaptive.GetProperty("height").GetInt32(), adaptive.GetProperty("width").GetInt32()));
    }
}
