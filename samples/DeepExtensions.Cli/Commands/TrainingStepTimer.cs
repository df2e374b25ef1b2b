using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.DeepExtensions.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepExtensions.Cli.Commands;

/// <summary>The median time of one training step's forward and backward passes, as <c>deepext summary --time-batch</c> prints it.</summary>
/// <param name="Batch">Images per batch.</param>
/// <param name="MedianMilliseconds">Median over the timed steps.</param>
/// <param name="Steps">Timed steps (after the warm-up ones).</param>
/// <param name="Threads">LibTorch's intra-op threads.</param>
internal sealed record TrainingStepTimer(int Batch, double MedianMilliseconds, int Steps, int Threads)
{
    private const int WarmUpSteps = 2;
    private const int TimedSteps = 10;

    /// <summary>
    /// Builds the network on the CPU and times forward, cross-entropy and backward on one batch of
    /// random images with random labels (weights are not updated: the optimizer's cost is left out).
    /// </summary>
    public static TrainingStepTimer Measure(NetworkDefinition definition, int batch, CancellationToken cancellationToken)
    {
        using var network = definition.Build();
        network.train();
        using var images = torch.randn(new long[] { batch }.Concat(definition.InputShape).ToArray());
        using var labels = torch.randint(definition.OutputSize, new long[] { batch }, dtype: ScalarType.Int64);
        var times = new List<double>();
        for (int step = 0; step < WarmUpSteps + TimedSteps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            network.zero_grad();
            long start = Stopwatch.GetTimestamp();
            var loss = nn.functional.cross_entropy(network.call(images), labels);
            loss.backward();
            if (step >= WarmUpSteps)
                times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        times.Sort();
        double median = (times[(times.Count - 1) / 2] + times[times.Count / 2]) / 2;
        return new TrainingStepTimer(batch, median, TimedSteps, torch.get_num_threads());
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"Forward+backward per batch of {Batch}: {MedianMilliseconds:F1} ms (median of {Steps} steps after {WarmUpSteps} warm-up, CPU, {Threads} threads)");
}
