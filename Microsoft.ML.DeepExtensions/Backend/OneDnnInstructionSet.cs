namespace Microsoft.ML.DeepExtensions.Backend;

/// <summary>
/// Caps the instruction set of oneDNN, LibTorch's CPU convolution library, at SSE4.1 (<c>DNNL_MAX_CPU_ISA</c>), unless
/// the user chose otherwise.
/// </summary>
/// <remarks>
/// The oneDNN 3.7.1 inside TorchSharp's LibTorch 2.10 computes wrong float32 convolutions with its AVX, AVX2 and
/// AVX-512 kernels on the AMD EPYC machines this project is built and tested on: with a batch of 2, most input-channel
/// counts above 16 that are not a multiple of 16 (17-31, 33-47, ...) give errors of order 1 to 10, and from 81
/// channels up even a batch of 1 does; detector training then ends in NaN. The SSE4.1 kernels are right (checked
/// against float64 in <c>ConvolutionCorrectnessTests</c>, which failed with <c>DNNL_MAX_CPU_ISA=AVX2</c>). At SSE4.1
/// oneDNN is slower than LibTorch's own convolutions, so those are used by default (<see cref="CpuConvolutions"/>) and
/// the cap guards what oneDNN still does when a user turns it back on. A user whose machine computes AVX-512
/// convolutions correctly can set the variable to <c>AVX512_CORE</c> (or <c>ALL</c>) before the process starts. oneDNN
/// reads it once, on its first primitive, so it is set in the native environment before LibTorch loads.
/// </remarks>
internal static class OneDnnInstructionSet
{
    public const string Variable = "DNNL_MAX_CPU_ISA";

    public static void CapAtSse41() => NativeEnvironment.SetUnlessSet(Variable, "SSE41");
}
