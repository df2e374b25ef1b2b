using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Architectures;

/// <summary>Gradients reach every weight through the blocks, and a few steps fit a tiny batch.</summary>
[TestClass]
public sealed class GradientTests
{
    /// <summary>Starts LibTorch the library's way (idle OpenMP workers sleep) before any test touches a tensor.</summary>
    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    [TestMethod]
    [DataRow("small-cnn", 1, 16)]
    [DataRow("lenet", 1, 28)]
    [DataRow("googlenet", 3, 32)]
    public void EveryWeightGetsAGradient(string name, int channels, int size)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        using var network = new ImageNetwork(ImageArchitectures.Get(name), new long[] { channels, size, size }, 3).Build();
        network.train();
        var loss = nn.functional.cross_entropy(network.call(torch.randn(4, channels, size, size)), torch.tensor(new long[] { 0, 1, 2, 1 }));
        loss.backward();
        var missing = network.named_parameters().Where(p => p.parameter.grad is null || p.parameter.grad.abs().sum().item<float>() == 0).Select(p => p.name).ToArray();
        Assert.AreEqual(0, missing.Length, $"no gradient: {string.Join(", ", missing)}");
    }

    [TestMethod]
    public void SmallCnnFitsATinyBatch()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(5);
        using var network = new ImageNetwork(ImageArchitectures.SmallCnn, new long[] { 1, 12, 12 }, 4).Build();
        var images = torch.randn(16, 1, 12, 12);
        var labels = torch.arange(16, dtype: ScalarType.Int64) % 4;
        using var optimizer = torch.optim.Adam(network.parameters(), 0.01);
        network.train();
        float first = 0, last = 0;
        for (int step = 0; step < 30; step++)
        {
            using var stepScope = torch.NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(network.call(images), labels);
            loss.backward();
            optimizer.step();
            last = loss.item<float>();
            if (step == 0)
                first = last;
        }
        Assert.IsTrue(last < first / 4, $"loss {first} → {last}");
    }
}
