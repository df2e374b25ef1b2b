using Microsoft.ML.DeepExtensions.Backend;

namespace DeepExtensions.Cli.Commands;

/// <summary>The <c>--device auto|cpu|cuda</c> option of the commands that score with ONNX Runtime.</summary>
internal static class DeviceArgument
{
    /// <summary>The device <c>--device</c> names; Auto when it is absent.</summary>
    /// <exception cref="CliException">Another value (a usage error naming <paramref name="command"/>).</exception>
    public static ComputeDevice Parse(Arguments arguments, string command) => arguments.Get("device")?.ToLowerInvariant() switch
    {
        null or "auto" => ComputeDevice.Auto,
        "cpu" => ComputeDevice.Cpu,
        "cuda" => ComputeDevice.Cuda,
        var other => throw CliException.UsageError($"{command}: --device must be auto, cpu or cuda, got '{other}'"),
    };
}
