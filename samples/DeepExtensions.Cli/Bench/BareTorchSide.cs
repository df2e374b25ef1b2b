using System.Diagnostics;
using Microsoft.ML.DeepExtensions.Activations;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepExtensions.Cli.Bench;

/// <summary>
/// The baseline: what a competent TorchSharp user writes for the same job. The same network
/// (<see cref="MlpNetwork.Build"/> with the same seed, so the same initial weights), the same
/// loss and Adam settings and batch size; the data as two tensors built once from float arrays;
/// per epoch a <c>randperm</c>, and per batch <c>index_select</c> inside a dispose scope. For regression
/// the output is rescaled by the target's mean and standard deviation, as the trainer does.
/// </summary>
public sealed class BareTorchSide
{
    private readonly SyntheticTabularData _data;
    private readonly TabularBenchOptions _options;

    public BareTorchSide(SyntheticTabularData data, TabularBenchOptions options)
    {
        _data = data;
        _options = options;
    }

    /// <summary>Trains once, timed end to end (network, tensors from the arrays, every epoch).</summary>
    public TrainingRun Train(int epochs, CancellationToken cancellation)
    {
        using var probe = MemoryProbe.Start();
        var clock = Stopwatch.StartNew();

        torch.manual_seed(_options.Seed);
        var device = TorchBackend.ResolveDevice(_options.Device, null, null);
        using var network = new MlpNetwork(_data.FeatureCount, _options.Hidden, new ReLU(), dropout: 0, batchNormalization: false, _options.Outputs).Build();
        network.to(device);
        using var optimizer = optim.Adam(network.parameters(), _options.LearningRate, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0, amsgrad: false);
        long rows = _data.Rows;
        using var x = torch.tensor(_data.Values, new long[] { rows, _data.FeatureCount }, device: device);
        using var y = _options.Task == TabularBenchTask.Multiclass ? torch.tensor(_data.ClassTargets, device: device) : torch.tensor(_data.Targets, device: device);
        // On a GPU the loss is summed there and read once per epoch, as a careful user does.
        using var lossTotal = torch.zeros(1, dtype: ScalarType.Float64, device: device);
        // Regression: the trainer standardizes the target inside the network (output · std + mean, the loss
        // in the label's units); a careful user does the same, so the bare loop does too.
        bool rescale = _options.Task == TabularBenchTask.Regression;
        var (mean, deviation) = rescale ? MeanAndDeviation(_data.Targets) : (0.0, 1.0);
        rescale = rescale && deviation > 0;
        int batchSize = _options.BatchSize;
        var epochRates = new double[epochs];
        double lastLoss = double.NaN;
        double setup = clock.Elapsed.TotalSeconds;

        for (int epoch = 0; epoch < epochs; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            network.train();
            using var order = torch.randperm(rows, device: device);
            double lossSum = 0;
            lossTotal.zero_().Dispose();
            for (long start = 0; start < rows; start += batchSize)
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = torch.NewDisposeScope();
                long count = Math.Min(batchSize, rows - start);
                var index = order.narrow(0, start, count);
                var xb = x.index_select(0, index);
                var yb = y.index_select(0, index);
                optimizer.zero_grad();
                var output = network.forward(xb);
                if (rescale)
                    output = output * deviation + mean;
                var loss = _options.Task switch
                {
                    TabularBenchTask.Binary => nn.functional.binary_cross_entropy_with_logits(output.reshape(-1), yb),
                    TabularBenchTask.Multiclass => nn.functional.cross_entropy(output, yb),
                    _ => nn.functional.mse_loss(output.reshape(-1), yb),
                };
                loss.backward();
                optimizer.step();
                if (device.type == DeviceType.CPU)
                    lossSum += loss.item<float>() * count;
                else
                    lossTotal.add_(loss.detach().to_type(ScalarType.Float64) * count);
            }
            lastLoss = (device.type == DeviceType.CPU ? lossSum : lossTotal.item<double>()) / rows;
            epochRates[epoch] = rows / epochClock.Elapsed.TotalSeconds;
        }

        clock.Stop();
        long peak = probe.PeakBytes;
        return new TrainingRun("bare", clock.Elapsed.TotalSeconds, rows, epochs, epochRates, setup, lastLoss, probe.StartBytes, peak, probe.AllocatedBytes);
    }

    private static (double Mean, double Deviation) MeanAndDeviation(float[] values)
    {
        double sum = 0;
        foreach (var v in values)
            sum += v;
        double mean = sum / values.Length, squares = 0;
        foreach (var v in values)
            squares += (v - mean) * (v - mean);
        return (mean, Math.Sqrt(squares / values.Length));
    }

    /// <summary>
    /// Batched inference with the trained module itself: tensor from the array, forward in batches of
    /// <paramref name="batchSize"/> without gradients, the task's output function, copied back to an array.
    /// </summary>
    public ScoringRun Score(nn.Module<Tensor, Tensor> module, int batchSize)
    {
        var clock = Stopwatch.StartNew();
        long rows = _data.Rows;
        int outputs = _options.Outputs;
        var scores = new float[batchSize * outputs];
        module.eval();
        var device = module.parameters().First().device;
        using (torch.no_grad())
        using (var x = torch.tensor(_data.Values, new long[] { rows, _data.FeatureCount }))
        {
            for (long start = 0; start < rows; start += batchSize)
            {
                using var scope = torch.NewDisposeScope();
                long count = Math.Min(batchSize, rows - start);
                var output = module.forward(x.narrow(0, start, count).to(device));
                output = _options.Task switch
                {
                    TabularBenchTask.Binary => torch.sigmoid(output),
                    TabularBenchTask.Multiclass => nn.functional.softmax(output, 1),
                    _ => output,
                };
                torch.from_array(scores).narrow(0, 0, count * outputs).copy_(output.reshape(-1));
            }
        }
        clock.Stop();
        return new ScoringRun("bare-forward", rows, clock.Elapsed.TotalSeconds);
    }
}
