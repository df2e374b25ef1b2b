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
    [DataRow(16, 3, 8, 3, 1)]
    [DataRow(4, 45, 24, 3, 2)]
    [DataRow(2, 96, 40, 1, 1)]
    public void Float32ConvolutionGradientsEqualFloat64Ones(int batch, int channels, int filters, int kernel, int stride)
    {
        // Training runs the backward of whichever implementation CpuConvolutions chose: its input and weight
        // gradients must be right too.
        TorchBackend.EnsureStarted();
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(6);
        var input = torch.randn(batch, channels, 20, 20, dtype: ScalarType.Float64);
        var weight = torch.randn(filters, channels, kernel, kernel, dtype: ScalarType.Float64) * 0.1;
        var bias = torch.randn(filters, dtype: ScalarType.Float64);
        var (reference, referenceGradients) = ForwardAndBackward(input, weight, bias, stride);
        var (single, singleGradients) = ForwardAndBackward(input.to_type(ScalarType.Float32), weight.to_type(ScalarType.Float32), bias.to_type(ScalarType.Float32), stride);
        string[] names = { "input", "weight", "bias" };
        Assert.IsTrue((single.to_type(ScalarType.Float64) - reference).abs().max().item<double>() < 1e-3, "output");
        for (int i = 0; i < names.Length; i++)
        {
            double error = (singleGradients[i].to_type(ScalarType.Float64) - referenceGradients[i]).abs().max().item<double>();
            double scale = referenceGradients[i].abs().max().item<double>();
            Assert.IsTrue(error < 1e-4 * Math.Max(1, scale), $"{names[i]} gradient off by {error} (largest {scale})");
        }
    }

    private static (Tensor Output, Tensor[] Gradients) ForwardAndBackward(Tensor input, Tensor weight, Tensor bias, int stride)
    {
        var leaves = new[] { input.detach().requires_grad_(), weight.detach().requires_grad_(), bias.detach().requires_grad_() };
        long padding = weight.shape[2] / 2;
        var output = nn.functional.conv2d(leaves[0], leaves[1], leaves[2], strides: new long[] { stride, stride }, padding: new long[] { padding, padding });
        // A fixed, non-uniform upstream gradient, the same on both sides.
        using var upstream = torch.linspace(-1, 1, output.numel(), dtype: ScalarType.Float64).view(output.shape).to_type(output.dtype);
        var gradients = torch.autograd.grad(new[] { output }, leaves, new[] { upstream });
        return (output, gradients.ToArray());
    }

    [TestMethod]
    public void TheBackendStartsLibTorchWithTheChosenConvolutions()
    {
        // oneDNN is off unless DEEPEXT_CPU_CONVOLUTIONS=onednn (see CpuConvolutions): LibTorch's own im2col and
        // matrix product are the faster CPU convolutions while oneDNN is capped at SSE4.1.
        TorchBackend.EnsureStarted();
        bool expected = CpuConvolutions.UseOneDnn(Environment.GetEnvironmentVariable(CpuConvolutions.Variable));
        Assert.AreEqual(expected, LibTorchSwitch.OneDnn.IsOn(), "LibTorch's oneDNN switch (at::Context::userEnabledMkldnn)");
    }

    [TestMethod]
    public void TheConvolutionChoiceIsReadFromItsVariableAndBadValuesAreNamed()
    {
        Assert.IsFalse(CpuConvolutions.UseOneDnn(null));
        Assert.IsFalse(CpuConvolutions.UseOneDnn(""));
        Assert.IsFalse(CpuConvolutions.UseOneDnn("native"));
        Assert.IsTrue(CpuConvolutions.UseOneDnn(" OneDNN "));
        var error = Assert.ThrowsExactly<TorchBackendException>(() => CpuConvolutions.UseOneDnn("fast"));
        StringAssert.Contains(error.Message, "DEEPEXT_CPU_CONVOLUTIONS='fast'");
        StringAssert.Contains(error.Message, "'native'");
    }

    [TestMethod]
    public void TheBackendStartsLibTorchWithNnpackOff()
    {
        // NNPACK, unsupported on this project's machines, would log a warning for every convolution of a small batch
        // (see LibTorchSwitch.Nnpack); the backend switches it off once LibTorch is loaded.
        TorchBackend.EnsureStarted();
        Assert.AreEqual(false, LibTorchSwitch.Nnpack.IsOn(), "LibTorch's NNPACK switch (at::Context::userEnabledNNPACK)");
    }
}
