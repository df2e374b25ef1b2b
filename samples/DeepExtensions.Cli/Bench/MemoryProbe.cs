using System.Diagnostics;
using System.Globalization;

namespace DeepExtensions.Cli.Bench;

/// <summary>
/// Peak resident memory (managed and native together) of one measured section. On Linux the
/// kernel's own high-water mark is reset before the section (<c>/proc/self/clear_refs</c> ← 5) and
/// read after it (<c>VmHWM</c>), which costs nothing while the section runs. Elsewhere a background
/// thread samples the working set every few milliseconds.
/// </summary>
public sealed class MemoryProbe : IDisposable
{
    private const string ClearRefs = "/proc/self/clear_refs";
    private const string Status = "/proc/self/status";

    // The kernel's high-water mark is reset per section, so the process's own peak is kept here.
    private static long _processPeakBytes;
    private static volatile string _method = "not measured";

    private readonly bool _kernelPeak;
    private readonly long _startBytes;
    private readonly long _startAllocated;
    private readonly Thread? _sampler;
    private volatile bool _stop;
    private long _sampledPeak;

    private MemoryProbe()
    {
        _kernelPeak = TryResetKernelPeak();
        _method = _kernelPeak ? "VmHWM reset per run" : "working set sampled every 5 ms";
        _startBytes = CurrentBytes();
        _sampledPeak = _startBytes;
        _startAllocated = GC.GetTotalAllocatedBytes(precise: true);
        if (!_kernelPeak)
        {
            _sampler = new Thread(Sample) { IsBackground = true, Name = "bench memory sampler" };
            _sampler.Start();
        }
    }

    /// <summary>Collects garbage left by earlier sections, then starts measuring.</summary>
    public static MemoryProbe Start()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return new MemoryProbe();
    }

    /// <summary>Resident bytes when the section started.</summary>
    public long StartBytes => _startBytes;

    /// <summary>The highest resident bytes during the section so far.</summary>
    public long PeakBytes
    {
        get
        {
            if (_kernelPeak && ReadStatusKb("VmHWM:") is long kb)
                return kb * 1024;
            return Math.Max(Interlocked.Read(ref _sampledPeak), CurrentBytes());
        }
    }

    /// <summary>Managed bytes allocated during the section (all threads).</summary>
    public long AllocatedBytes => GC.GetTotalAllocatedBytes(precise: true) - _startAllocated;

    /// <summary>How the peaks are measured, for the report.</summary>
    public static string Method => _method;

    /// <summary>The process's peak working set since it started (resets of the kernel's mark included).</summary>
    public static long ProcessPeakBytes()
    {
        RememberProcessPeak();
        return Interlocked.Read(ref _processPeakBytes);
    }

    public void Dispose()
    {
        _stop = true;
        _sampler?.Join();
        Remember(Math.Max(Interlocked.Read(ref _sampledPeak), _startBytes));
    }

    private static void RememberProcessPeak()
    {
        using var process = Process.GetCurrentProcess();
        Remember(process.PeakWorkingSet64); // VmHWM on Linux: the peak since the last reset
    }

    private static void Remember(long bytes)
    {
        long seen;
        while (bytes > (seen = Interlocked.Read(ref _processPeakBytes)) && Interlocked.CompareExchange(ref _processPeakBytes, bytes, seen) != seen)
        {
        }
    }

    private void Sample()
    {
        while (!_stop)
        {
            long now = CurrentBytes();
            long peak;
            while (now > (peak = Interlocked.Read(ref _sampledPeak)) && Interlocked.CompareExchange(ref _sampledPeak, now, peak) != peak)
            {
            }
            Thread.Sleep(5);
        }
    }

    private static long CurrentBytes()
    {
        if (ReadStatusKb("VmRSS:") is long kb)
            return kb * 1024;
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    private static bool TryResetKernelPeak()
    {
        if (!OperatingSystem.IsLinux())
            return false;
        try
        {
            RememberProcessPeak();
            File.WriteAllText(ClearRefs, "5");
            return ReadStatusKb("VmHWM:") is not null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long? ReadStatusKb(string key)
    {
        if (!OperatingSystem.IsLinux())
            return null;
        try
        {
            foreach (var line in File.ReadLines(Status))
            {
                if (!line.StartsWith(key, StringComparison.Ordinal))
                    continue;
                var number = line[key.Length..].Trim().Split(' ')[0];
                return long.TryParse(number, NumberStyles.Integer, CultureInfo.InvariantCulture, out long kb) ? kb : null;
            }
        }
        catch (IOException)
        {
        }
        return null;
    }
}
