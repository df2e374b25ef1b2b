using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Training;

/// <summary>
/// What every trainer settles before it reads its data: the backend started, the device chosen (with ML.NET's
/// <c>GpuDeviceId</c>/<c>FallbackToCpu</c>), the seed drawn and applied, and the cache budget.
/// </summary>
/// <param name="Device">The training device.</param>
/// <param name="Seed">The run's seed: the options' or one drawn from the MLContext.</param>
/// <param name="ShuffleRandom">The shuffling generator, seeded with <paramref name="Seed"/>.</param>
/// <param name="CacheBytes">The options' <c>CacheLimitMegabytes</c> in bytes.</param>
internal sealed record TrainingStart(Device Device, int Seed, Random ShuffleRandom, long CacheBytes)
{
    /// <summary>Starts the backend, resolves the device (warnings to <paramref name="channel"/>) and seeds TorchSharp.</summary>
    public static TrainingStart Begin(DeepTrainerOptions options, IHost host, IChannel channel)
    {
        TorchBackend.EnsureStarted(options.LibTorchDirectory);
        var device = TorchBackend.ResolveDevice(options.Device, options.CudaDeviceIndex, host, message => channel.Warning(MessageSensitivity.None, message));
        int seed = options.Seed ?? host.Rand.Next();
        torch.manual_seed(seed);
        return new TrainingStart(device, seed, new Random(seed), options.CacheLimitMegabytes * 1024L * 1024L);
    }
}
