namespace Microsoft.ML.DeepExtensions.Backend;

/// <summary>
/// Chooses which of LibTorch's CPU convolution implementations every network in the process uses: its own im2col and
/// matrix product (<c>native</c>, the default) or oneDNN's kernels (<c>onednn</c>), from the
/// <c>DEEPEXT_CPU_CONVOLUTIONS</c> variable read when the backend starts.
/// </summary>
/// <remarks>
/// oneDNN is capped at SSE4.1 here because its wider kernels compute wrong convolutions on this project's machines
/// (<see cref="OneDnnInstructionSet"/>), and at SSE4.1 it is the slower of the two: LibTorch's matrix product uses the
/// CPU's full width. Measured on the 2-core AMD EPYC build machine (forward and backward of one layer, 2 threads):
/// the convolutions of the default YOLO network 1.48 times as fast in all (only its 3-channel first layer is slower,
/// 40 ms against 28), YOLO training 1.36 times (<c>deepext bench yolo-training</c>), Mask R-CNN's mask-head
/// convolutions 1.73 times (<c>deepext bench mask-head --part conv</c>). A user whose machine runs oneDNN's AVX-512
/// kernels correctly can set <c>DEEPEXT_CPU_CONVOLUTIONS=onednn</c> together with <c>DNNL_MAX_CPU_ISA=ALL</c>.
/// GPU convolutions (cuDNN) are not affected.
/// </remarks>
internal static class CpuConvolutions
{
    public const string Variable = "DEEPEXT_CPU_CONVOLUTIONS";

    /// <summary>Whether the variable's value asks for oneDNN (<c>onednn</c>) rather than LibTorch's own (<c>native</c>, also when unset).</summary>
    /// <exception cref="TorchBackendException">The value is something else.</exception>
    internal static bool UseOneDnn(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "native" => false,
        "onednn" or "mkldnn" => true,
        _ => throw new TorchBackendException($"{Variable}='{value}' is not a CPU convolution implementation: use 'native' (LibTorch's im2col and matrix product, the default) or 'onednn'."),
    };
}
