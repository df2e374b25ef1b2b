using System.Runtime.InteropServices;

namespace Microsoft.ML.DeepExtensions.Backend;

/// <summary>
/// Keeps LibTorch's CPU tensors in glibc's heap rather than in fresh memory mappings: tensors up to 32 MB are carved
/// from the heap, and freed memory stays with the process (up to 1 GB above the heap's top) for the next step's tensors.
/// </summary>
/// <remarks>
/// <para>LibTorch allocates every CPU tensor with <c>posix_memalign</c>. glibc serves large blocks by <c>mmap</c> and
/// gives them back with <c>munmap</c> when freed, and it returns the top of its heaps to the system once more than its
/// trim threshold is free. A training step frees and reallocates the same activations and gradients every batch, so the
/// kernel unmapped, mapped and zeroed them again each time: training the default YOLO network on 2 cores spent a fifth
/// of its CPU time in page faults (1.0 million per 12 steps of 16 images). With the two thresholds raised, as
/// <c>GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=...</c> would, faults fell by
/// 55%, CPU time (user + system) by 19% and the time of a step by about as much (median of 3 alternating runs).</para>
/// <para>glibc's thresholds are process-wide; set through <c>mallopt</c> they apply from then on. Left alone when the
/// user set them (<c>GLIBC_TUNABLES</c> naming <c>glibc.malloc</c>, <c>MALLOC_MMAP_THRESHOLD_</c>,
/// <c>MALLOC_TRIM_THRESHOLD_</c>) or set <c>DEEPEXT_MALLOC_TUNING=0</c>, and on other C libraries than glibc.</para>
/// </remarks>
internal static partial class MallocTuning
{
    /// <summary>Set to <c>0</c> to keep glibc's own thresholds.</summary>
    public const string Variable = "DEEPEXT_MALLOC_TUNING";

    /// <summary>Blocks up to this size come from the heap: glibc's largest allowed value (4 MB × sizeof(long)).</summary>
    public const int MmapThreshold = 32 * 1024 * 1024;

    /// <summary>Free memory above the heap's top is given back to the system only beyond this.</summary>
    public const int TrimThreshold = 1024 * 1024 * 1024;

    private const int TrimThresholdParameter = -1; // M_TRIM_THRESHOLD
    private const int MmapThresholdParameter = -3; // M_MMAP_THRESHOLD

    /// <summary>Whether <see cref="Apply"/> changed the thresholds in this process.</summary>
    public static bool Applied { get; private set; }

    /// <summary>Raises glibc's thresholds unless <see cref="ShouldApply"/> says no; true when glibc took both.</summary>
    public static bool Apply()
    {
        if (!OperatingSystem.IsLinux() || !ShouldApply(Environment.GetEnvironmentVariable))
            return false;
        try
        {
            // mallopt returns 1 on success; musl's stub returns 0 and changes nothing.
            Applied = Mallopt(MmapThresholdParameter, MmapThreshold) == 1 & Mallopt(TrimThresholdParameter, TrimThreshold) == 1;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            Applied = false;
        }
        return Applied;
    }

    /// <summary>False when the user opted out or chose glibc's malloc settings already.</summary>
    internal static bool ShouldApply(Func<string, string?> environment)
    {
        if (environment(Variable)?.Trim() == "0")
            return false;
        if (environment("GLIBC_TUNABLES") is { } tunables && tunables.Contains("glibc.malloc.", StringComparison.Ordinal))
            return false;
        return string.IsNullOrEmpty(environment("MALLOC_MMAP_THRESHOLD_")) && string.IsNullOrEmpty(environment("MALLOC_TRIM_THRESHOLD_"));
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int parameter, int value);
}
