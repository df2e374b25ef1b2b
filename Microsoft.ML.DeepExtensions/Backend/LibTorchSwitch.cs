using System.Runtime.InteropServices;

namespace Microsoft.ML.DeepExtensions.Backend;

/// <summary>
/// One of LibTorch's global backend switches (<c>at::Context</c>), as PyTorch's <c>torch.backends.nnpack.set_flags</c>
/// and <c>torch.backends.mkldnn.enabled</c> set them; TorchSharp exposes neither, so this calls LibTorch's C++ setter
/// directly.
/// </summary>
/// <remarks>
/// Linux only (the loaded LibTorch is found in /proc/self/maps, and its C++ names are mangled the Itanium way);
/// elsewhere nothing changes and the switch reads as unknown.
/// </remarks>
internal sealed class LibTorchSwitch
{
    private const string GlobalContextSymbol = "_ZN2at13globalContextEv";

    /// <summary>
    /// NNPACK's convolutions. On CPUs NNPACK does not support (the AMD EPYC machines this project is built on among
    /// them), LibTorch 2.10 tries NNPACK for every CPU convolution oneDNN does not take and logs "Could not initialize
    /// NNPACK! Reason: Unsupported hardware." each time (<c>deepext detect</c> printed 11 such lines per image); off,
    /// those convolutions go straight to LibTorch's own kernels, which it falls back to anyway.
    /// </summary>
    public static LibTorchSwitch Nnpack { get; } = new("NNPACK", "_ZN2at7Context20setUserEnabledNNPACKEb", "_ZNK2at7Context17userEnabledNNPACKEv");

    /// <summary>
    /// oneDNN (MKL-DNN) for CPU operators, convolutions above all. Off, a float32 CPU convolution is LibTorch's own
    /// im2col and matrix product (<c>slow_conv2d</c>), and its backward the same; see <see cref="CpuConvolutions"/>.
    /// </summary>
    public static LibTorchSwitch OneDnn { get; } = new("oneDNN", "_ZN2at7Context20setUserEnabledMkldnnEb", "_ZNK2at7Context17userEnabledMkldnnEv");

    private readonly string _setSymbol;
    private readonly string _getSymbol;

    private LibTorchSwitch(string name, string setSymbol, string getSymbol)
    {
        Name = name;
        _setSymbol = setSymbol;
        _getSymbol = getSymbol;
    }

    /// <summary>What the switch turns on and off, for messages.</summary>
    public string Name { get; }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate nint GlobalContext();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetEnabled(nint context, [MarshalAs(UnmanagedType.I1)] bool enabled);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    [return: MarshalAs(UnmanagedType.I1)]
    private delegate bool GetEnabled(nint context);

    /// <summary>Sets the switch in the loaded LibTorch; false when it cannot (no LibTorch loaded, other platform).</summary>
    public bool Set(bool on)
    {
        if (Find() is not { } context)
            return false;
        context.Set(context.Handle, on);
        return true;
    }

    /// <summary>The switch as it stands, or null when it cannot be read.</summary>
    public bool? IsOn() => Find() is { } context ? context.Get(context.Handle) : null;

    private (nint Handle, SetEnabled Set, GetEnabled Get)? Find()
    {
        if (!OperatingSystem.IsLinux())
            return null;
        string? path = NativeLoader.FindLoaded(NativeLoader.FileName("torch_cpu")).FirstOrDefault();
        // Loading an already loaded library only takes another reference to it.
        if (path is null || !NativeLibrary.TryLoad(path, out var library))
            return null;
        if (!NativeLibrary.TryGetExport(library, GlobalContextSymbol, out var global)
            || !NativeLibrary.TryGetExport(library, _setSymbol, out var set)
            || !NativeLibrary.TryGetExport(library, _getSymbol, out var get))
            return null;
        return (Marshal.GetDelegateForFunctionPointer<GlobalContext>(global)(),
            Marshal.GetDelegateForFunctionPointer<SetEnabled>(set), Marshal.GetDelegateForFunctionPointer<GetEnabled>(get));
    }
}
