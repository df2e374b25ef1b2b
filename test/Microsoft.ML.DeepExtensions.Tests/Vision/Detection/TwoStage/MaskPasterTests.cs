using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.TwoStage;

/// <summary>
/// <see cref="MaskPaster"/>: the per-detection masks of the <c>PredictedMasks</c> column are the whole-image pasting (whose
/// values MaskRcnnParityTests checks against torchvision) thresholded at 0.5 over each box rounded out, including boxes that
/// reach past the image; bad arguments are named.
/// </summary>
[TestClass]
public sealed class MaskPasterTests
{
    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    [TestMethod]
    public void InstanceMasksAreTheThresholdedPastingOverEachBoxRoundedOut()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(7);
        var probabilities = torch.rand(3, 28, 28);
        var boxes = torch.tensor(new float[] { 3.2f, 4.7f, 20.5f, 30f, -5f, 10f, 12.3f, 25.8f, 30f, 35f, 45f, 47.5f }).reshape(3, 4);
        var (height, width) = (40, 42);
        var pasted = MaskPaster.Paste(probabilities, boxes, (height, width));
        CollectionAssert.AreEqual(new long[] { 3, height, width }, pasted.shape);
        var masks = MaskPaster.ToInstanceMasks(probabilities, boxes, (height, width));
        var corners = boxes.data<float>().ToArray();
        for (int k = 0; k < masks.Length; k++)
        {
            var mask = masks[k];
            Assert.AreEqual((int)MathF.Floor(corners[4 * k]), mask.Left, $"mask {k} left");
            Assert.AreEqual((int)MathF.Floor(corners[4 * k + 1]), mask.Top, $"mask {k} top");
            Assert.AreEqual((int)MathF.Ceiling(corners[4 * k + 2]) - mask.Left, mask.Width, $"mask {k} width");
            Assert.AreEqual((int)MathF.Ceiling(corners[4 * k + 3]) - mask.Top, mask.Height, $"mask {k} height");
            var image = pasted[k].data<float>().ToArray();
            int inside = 0;
            for (int y = mask.Top; y < mask.Top + mask.Height; y++)
            {
                for (int x = mask.Left; x < mask.Left + mask.Width; x++)
                {
                    bool expected = x >= 0 && y >= 0 && x < width && y < height && image[y * width + x] > MaskPaster.Threshold;
                    Assert.AreEqual(expected, mask.Contains(x, y), $"mask {k} pixel ({x}, {y})");
                    inside += expected ? 1 : 0;
                }
            }
            Assert.IsTrue(inside > 0, $"mask {k} has object pixels");
        }
    }

    [TestMethod]
    public void BadArgumentsAreNamed()
    {
        using var scope = torch.NewDisposeScope();
        var boxes = torch.tensor(new float[] { 1, 1, 5, 5 }).reshape(1, 4);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => MaskPaster.Paste(torch.rand(2, 28, 28), boxes, (10, 10))).Message, "one mask per box (1)");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => MaskPaster.ToInstanceMasks(torch.rand(1, 28, 14), boxes, (10, 10))).Message, "[K, M, M]");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MaskPaster.Paste(torch.rand(1, 28, 28), boxes, (0, 10))).Message, "at least 1x1");
        CollectionAssert.AreEqual(new long[] { 0, 10, 12 }, MaskPaster.Paste(torch.rand(0, 28, 28), torch.zeros(0, 4), (10, 12)).shape);
    }
}
