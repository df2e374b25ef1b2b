using Microsoft.ML.DeepExtensions.Backend;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Backend;

/// <summary>
/// LibTorch's float32 convolutions against float64 ones of the same inputs, for the channel counts where oneDNN's
/// AVX-512 kernels are wrong on this project's machines (see <c>OneDnnInstructionSet</c>): the backend must start
/// LibTorch so that they are right.
/// </summary>
[TestClass]
public sealed class ConvolutionCorrectnessTests
{
    [TestMethod]
    [DataRow(1, 24)]
    [DataRow(2, 24)]
    [DataRow(2, 17)]
    [DataRow(2, 45)]
    [DataRow(1, 96)]
    [DataRow(8, 40)]
    public void Float32ConvolutionsEqualFloat64Ones(int batch, int channels)
    {
        TorchBackend.EnsureStarted();
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(5);
        var input = torch.randn(batch, channels, 16, 16);
        var weight = torch.randn(32, channels, 3, 3) * 0.1f;
        var single = nn.functional.conv2d(input, weight, padding: new long[] { 1, 1 });
        var reference = nn.functional.conv2d(input.to_type(ScalarType.Float64), weight.to_type(ScalarType.Float64), padding: new long[] { 1, 1 });
        double error = (single.to_type(ScalarType.Float64) - reference).abs().max().item<double>();
        Assert.IsTrue(error < 1e-3, $"batch {batch}, {channels} input channels: float32 convolution is off by {error} (oneDNN ISA cap: {Environment.GetEnvironmentVariable(OneDnnInstructionSet.Variable) ?? "none"}).");
    }

    [TestMethod]
    public void TheBackendStartsLibTorchWithNnpackOff()
    {
        // NNPACK, unsupported on this project's machines, would log a warning for every convolution of a small batch
        // (see NnpackSwitch); the backend switches it off once LibTorch is loaded.
        TorchBackend.EnsureStarted();
        Assert.AreEqual(false, NnpackSwitch.IsOn(), "LibTorch's NNPACK switch (at::Context::userEnabledNNPACK)");
    }
}
