using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.TwoStage;

/// <summary>VGG-16 cut into blocks for a detector: strides, channels and parameter counts of the cuts.</summary>
[TestClass]
public sealed class VggBodyTests
{
    [ClassInitialize]
    public static void Start(TestContext context) => TorchBackend.EnsureStarted();

    [TestMethod]
    public void BlocksThreeToFiveHaveStrides4To16And256Or512Channels()
    {
        using var body = new VggBody(batchNormalization: false, new[] { "block3", "block4", "block5" });
        CollectionAssert.AreEqual(new[] { 256, 512, 512 }, body.OutChannels.ToArray());
        using var noGrad = torch.no_grad();
        var maps = body.call(torch.rand(1, 3, 64, 96));
        CollectionAssert.AreEqual(new long[] { 1, 256, 16, 24 }, maps[0].shape);
        CollectionAssert.AreEqual(new long[] { 1, 512, 8, 12 }, maps[1].shape);
        CollectionAssert.AreEqual(new long[] { 1, 512, 4, 6 }, maps[2].shape);
        // torchvision's vgg16().features has 14,714,688 weights; pool5, which the detector drops, has none.
        Assert.AreEqual(14_714_688L, body.parameters().Sum(p => p.numel()));
    }

    [TestMethod]
    public void TheSingleMapIsConv53_AndBatchNormalizationAddsItsScalesAndShifts()
    {
        using var plain = new VggBody(batchNormalization: false, new[] { "block5" });
        using var normalized = new VggBody(batchNormalization: true, new[] { "block5" });
        // Two per convolution channel: 2 x (64 x 2 + 128 x 2 + 256 x 3 + 512 x 6) = 8,448 (vgg16_bn's features: 14,723,136).
        Assert.AreEqual(14_723_136L, normalized.parameters().Sum(p => p.numel()));
        Assert.IsTrue(normalized.named_parameters().Any(p => p.name == "block5.bn5_3.weight"), string.Join(", ", normalized.named_parameters().Select(p => p.name).Take(8)));
        using var noGrad = torch.no_grad();
        CollectionAssert.AreEqual(new long[] { 2, 512, 10, 10 }, plain.call(torch.rand(2, 3, 160, 160))[0].shape);
        Assert.ThrowsExactly<ArgumentException>(() => new VggBody(false, new[] { "block5", "block3" }));
        Assert.ThrowsExactly<ArgumentException>(() => new VggBody(false, new[] { "block6" }));
    }
}
