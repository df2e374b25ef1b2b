using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Training;

/// <summary>
/// An exponential moving average of a network's weights and buffers (Polyak averaging; YOLOv5's <c>ModelEMA</c>,
/// Keras' <c>use_ema</c>): after optimizer step n, <c>average = d·average + (1 - d)·weights</c> with
/// <c>d = min(momentum, (1 + n) / (10 + n))</c>, TensorFlow's <c>ExponentialMovingAverage</c> ramp, so the random
/// initial weights are forgotten within the first steps instead of weighing on the average for hundreds of them.
/// Batch normalization's running statistics are averaged too, as YOLOv5 does: the averaged convolutions see
/// averaged statistics. Integer buffers (batch counters) follow the network.
/// </summary>
internal sealed class WeightAverage : IDisposable
{
    private readonly (Tensor Live, Tensor Average)[] _pairs;
    private readonly double _momentum;
    private long _updates;

    public WeightAverage(nn.Module network, double momentum)
    {
        if (!(momentum > 0 && momentum < 1))
            throw new ArgumentOutOfRangeException(nameof(momentum), $"The weight average's momentum must be in (0, 1), got {momentum}.");
        _momentum = momentum;
        using var noGrad = torch.no_grad();
        _pairs = network.state_dict().Values
            .Where(t => t.is_floating_point())
            .Select(t => (t, t.detach().clone().DetachFromDisposeScope()))
            .ToArray();
    }

    /// <summary>The decay the next <see cref="Update"/> uses.</summary>
    public double Decay => Math.Min(_momentum, (1.0 + _updates) / (10.0 + _updates));

    /// <summary>Folds the network's current weights into the average; call after every optimizer step.</summary>
    public void Update()
    {
        double decay = Decay;
        _updates++;
        using var noGrad = torch.no_grad();
        foreach (var (live, average) in _pairs)
            average.mul_(decay).add_(live, alpha: 1 - decay);
    }

    /// <summary>Exchanges the network's weights with the average (twice restores both).</summary>
    public void Swap()
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        foreach (var (live, average) in _pairs)
        {
            var kept = live.clone();
            live.copy_(average);
            average.copy_(kept);
        }
    }

    /// <summary>Puts the average into the network for good.</summary>
    public void CopyToNetwork()
    {
        using var noGrad = torch.no_grad();
        foreach (var (live, average) in _pairs)
            live.copy_(average);
    }

    public void Dispose()
    {
        foreach (var (_, average) in _pairs)
            average.Dispose();
    }
}
