using System.Runtime.InteropServices;
using System.Text;

namespace Microsoft.ML.DeepExtensions.Backend;

/// <summary>
/// A GPU's name and memory, read from the NVIDIA driver (<c>libcuda.so.1</c> / <c>nvcuda.dll</c>)
/// for log lines: TorchSharp 0.107 exposes neither.
/// </summary>
/// <remarks>
/// Uses the driver API, whose device ordinals follow <c>CUDA_VISIBLE_DEVICES</c> and
/// <c>CUDA_DEVICE_ORDER</c> exactly as LibTorch's do (NVML's would not). <c>cuInit</c> is
/// idempotent, so this is safe after LibTorch has started CUDA. Every failure yields null: a log
/// line must never be the reason training stops.
/// </remarks>
internal static unsafe class CudaDriverInfo
{
    private static readonly Lazy<nint> Driver = new(() =>
        NativeLibrary.TryLoad(OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1", out var handle) ? handle : 0);

    /// <summary>The name and total memory of CUDA device <paramref name="ordinal"/>, or null where the driver cannot tell.</summary>
    public static (string Name, long TotalBytes)? TryGet(int ordinal)
    {
        try
        {
            var driver = Driver.Value;
            if (driver == 0
                || !NativeLibrary.TryGetExport(driver, "cuInit", out var init)
                || !NativeLibrary.TryGetExport(driver, "cuDeviceGet", out var get)
                || !NativeLibrary.TryGetExport(driver, "cuDeviceGetName", out var getName)
                || !NativeLibrary.TryGetExport(driver, "cuDeviceTotalMem_v2", out var totalMem))
                return null;
            if (((delegate* unmanaged<uint, int>)init)(0) != 0)
                return null;
            int device;
            if (((delegate* unmanaged<int*, int, int>)get)(&device, ordinal) != 0)
                return null;
            var name = stackalloc byte[256];
            if (((delegate* unmanaged<byte*, int, int, int>)getName)(name, 256, device) != 0)
                return null;
            nuint bytes;
            if (((delegate* unmanaged<nuint*, int, int>)totalMem)(&bytes, device) != 0)
                return null;
            var text = Encoding.UTF8.GetString(name, new ReadOnlySpan<byte>(name, 256).IndexOf((byte)0) is var n and >= 0 ? n : 256);
            return (text, (long)bytes);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return null;
        }
    }
}
