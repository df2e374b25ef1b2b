using System.Runtime.InteropServices;

namespace Microsoft.ML.DeepExtensions.Backend;

/// <summary>
/// Turns LibTorch's NNPACK convolutions off, as PyTorch's <c>torch.backends.nnpack.set_flags(False)</c> does; TorchSharp
/// does not expose that switch, so this calls LibTorch's <c>at::Context::setUserEnabledNNPACK</c> directly.
/// </summary>
/// <remarks>
/// On CPUs NNPACK does not support (the AMD EPYC machines this project is built on among them), LibTorch 2.10 tries
/// NNPACK for every CPU convolution oneDNN does not take (batches under 16) and logs "Could not initialize NNPACK!
/// Reason: Unsupported hardware." each time: <c>deepext detect</c> printed 11 such lines per image. With NNPACK off
/// those convolutions go straight to LibTorch's own kernels, which it falls back to anyway when NNPACK cannot start;
/// where NNPACK works, it only ever served batches of 16 or more that oneDNN leaves (none of this project's layers).
/// Linux only (the loaded LibTorch is found in /proc/self/maps, and its C++ names are mangled the Itanium way);
/// elsewhere nothing changes.
/// </remarks>
internal static class NnpackSwitch
{
    private const string GlobalContextSymbol = "_ZN2at13globalContextEv";
    private const string SetEnabledSymbol = "_ZN2at7Context20setUserEnabledNNPACKEb";
    private const string GetEnabledSymbol = "_ZNK2at7Context17userEnabledNNPACKEv";

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate nint GlobalContext();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetEnabled(nint context, [MarshalAs(UnmanagedType.I1)] bool enabled);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    [return: MarshalAs(UnmanagedType.I1)]
    private delegate bool GetEnabled(nint context);

    /// <summary>Switches NNPACK off in the loaded LibTorch; false when it cannot (no LibTorch loaded, other platform).</summary>
    public static bool TurnOff()
    {
        if (Find() is not { } context)
            return false;
        context.Set(context.Handle, false);
        return true;
    }

    /// <summary>LibTorch's switch as it stands, or null when it cannot be read.</summary>
    public static bool? IsOn() => Find() is { } context ? context.Get(context.Handle) : null;

    private static (nint Handle, SetEnabled Set, GetEnabled Get)? Find()
    {
        if (!OperatingSystem.IsLinux())
            return null;
        string? path = NativeLoader.FindLoaded(NativeLoader.FileName("torch_cpu")).FirstOrDefault();
        // Loading an already loaded library only takes another reference to it.
        if (path is null || !NativeLibrary.TryLoad(path, out var library))
            return null;
        if (!NativeLibrary.TryGetExport(library, GlobalContextSymbol, out var global)
            || !NativeLibrary.TryGetExport(library, SetEnabledSymbol, out var set)
            || !NativeLibrary.TryGetExport(library, GetEnabledSymbol, out var get))
            return null;
        return (Marshal.GetDelegateForFunctionPointer<GlobalContext>(global)(),
            Marshal.GetDelegateForFunctionPointer<SetEnabled>(set), Marshal.GetDelegateForFunctionPointer<GetEnabled>(get));
    }
}
