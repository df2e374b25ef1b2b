using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Darknet;

[TestClass]
public sealed class DarknetBatchNormTests
{
    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    [TestMethod]
    public void Eval_UsesDarknetsFormula_EvenForZeroVariance()
    {
        using var scope = torch.NewDisposeScope();
        using var bn = new DarknetBatchNorm(4);
        using (torch.no_grad())
        {
            bn.Weight.copy_(torch.tensor(new[] { 1f, 2f, 0.5f, -1f }));
            bn.Bias.copy_(torch.tensor(new[] { 0f, 0.1f, -0.2f, 0.3f }));
            bn.RunningMean.copy_(torch.tensor(new[] { 0.5f, -1f, 0f, 2f }));
            bn.RunningVariance.copy_(torch.tensor(new[] { 1f, 0f, 1e-8f, 4f })); // Darknet's fresh layers have variance 0
        }

        bn.eval();
        var x = torch.randn(2, 4, 3, 5);
        var y = bn.forward(x);
        var xs = x.data<float>().ToArray();
        var ys = y.data<float>().ToArray();
        float[] scale = { 1f, 2f, 0.5f, -1f }, bias = { 0f, 0.1f, -0.2f, 0.3f }, mean = { 0.5f, -1f, 0f, 2f }, variance = { 1f, 0f, 1e-8f, 4f };
        for (int i = 0; i < xs.Length; i++)
        {
            int c = i / 15 % 4;
            // normalize_cpu, scale_bias, add_bias of Darknet's blas.c, in double.
            double expected = (xs[i] - mean[c]) / (Math.Sqrt(variance[c]) + 1e-6) * scale[c] + bias[c];
            Assert.AreEqual(expected, ys[i], 1e-5 * (1 + Math.Abs(expected)), $"element {i}, channel {c}");
        }
    }

    [TestMethod]
    public void Train_IsOrdinaryBatchNormWithRunningStatistics()
    {
        using var scope = torch.NewDisposeScope();
        using var bn = new DarknetBatchNorm(3, momentum: 0.2);
        using var reference = nn.BatchNorm2d(3, momentum: 0.2);
        bn.train();
        reference.train();
        var x = torch.randn(4, 3, 5, 5).mul(3).add(1);
        Assert.IsTrue(bn.forward(x).allclose(reference.forward(x), rtol: 1e-5, atol: 1e-6));
        Assert.IsTrue(bn.RunningMean.allclose(reference.running_mean!, rtol: 1e-5, atol: 1e-6));
        Assert.IsTrue(bn.RunningVariance.allclose(reference.running_var!, rtol: 1e-5, atol: 1e-6));
        CollectionAssert.AreEquivalent(new[] { "weight", "bias" }, bn.named_parameters().Select(p => p.name).ToArray());
        CollectionAssert.AreEquivalent(new[] { "running_mean", "running_var" }, bn.named_buffers().Select(p => p.name).ToArray());
    }
}
