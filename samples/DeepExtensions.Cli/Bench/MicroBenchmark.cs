using System.Diagnostics;
using System.Globalization;
using DeepExtensions.Cli.Commands;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepExtensions.Cli.Bench;

/// <summary>What the operator benchmarks (<c>bench nms</c>, <c>bench roi-align</c>) share: option parsing and timing.</summary>
public static class MicroBenchmark
{
    /// <summary>
    /// Median milliseconds of <paramref name="repeats"/> runs after one warm-up run (the median, not the mean, so that
    /// a run slowed by other processes on a shared machine does not decide); waits for the accelerator after each run.
    /// </summary>
    public static double Time(int repeats, Device device, Action run) => TimeInterleaved(repeats, device, run)[0];

    /// <summary>
    /// Median milliseconds of each of <paramref name="runs"/>, timed in turn within every repeat (run 0, run 1, ...,
    /// then again), after one untimed round, so that all sides see the same process state (allocator, caches,
    /// threads) and the same load of a shared machine.
    /// </summary>
    public static double[] TimeInterleaved(int repeats, Device device, params Action[] runs)
    {
        foreach (var run in runs)
        {
            run(); // warm-up
            Synchronize(device);
        }
        var times = runs.Select(_ => new double[repeats]).ToArray();
        for (int i = 0; i < repeats; i++)
        {
            for (int r = 0; r < runs.Length; r++)
            {
                var watch = Stopwatch.StartNew();
                runs[r]();
                Synchronize(device);
                times[r][i] = watch.Elapsed.TotalMilliseconds;
            }
        }
        return times.Select(Median).ToArray();
    }

    private static double Median(double[] values)
    {
        Array.Sort(values);
        int n = values.Length;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    /// <summary>The positive integer option <c>--name</c>, or <paramref name="fallback"/> when absent.</summary>
    public static int PositiveInt(Arguments arguments, string command, string name, int fallback)
    {
        string? text = arguments.Get(name);
        if (text is null)
            return fallback;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value : throw CliException.UsageError($"{command}: --{name} must be a positive integer, got '{text}'");
    }

    /// <summary>The <c>--device cpu|cuda</c> option (default cpu); cuda only when it is available.</summary>
    public static Device Device(Arguments arguments, string command) => (arguments.Get("device") ?? "cpu") switch
    {
        "cpu" => torch.CPU,
        "cuda" => torch.cuda.is_available() ? torch.CUDA : throw CliException.UsageError($"{command}: --device cuda, but CUDA is not available"),
        var other => throw CliException.UsageError($"{command}: --device must be cpu or cuda, got '{other}'"),
    };

    private static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA)
            torch.cuda.synchronize();
    }
}
