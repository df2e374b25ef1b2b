using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// Batch normalization that scores exactly as Darknet does and trains as ordinary batch normalization.
/// </summary>
/// <remarks>
/// <para>
/// Darknet normalizes with its rolling statistics as <c>y = γ·(x - μ) / (√σ² + 1e-6) + β</c>
/// (<c>normalize_cpu</c> in <c>blas.c</c>), PyTorch as <c>γ·(x - μ) / √(σ² + ε) + β</c>. The buffers here hold
/// Darknet's own numbers (<c>running_var</c> is Darknet's <c>rolling_variance</c>, unchanged), and evaluation
/// mode uses Darknet's formula. The other choice, converting the variance on load and save so that
/// <c>√(σ'² + ε) = √σ² + 1e-6</c>, is not lossless: for a variance below about ε (Darknet's random
/// initialization writes 0) σ'² would be negative, and the float round trip changes small variances.
/// Keeping the file's numbers makes <see cref="DarknetWeights"/> round trips bit-exact.
/// </para>
/// <para>
/// Training mode is PyTorch's batch normalization (batch statistics, <c>ε</c> = 1e-5, running statistics updated
/// with <see cref="Momentum"/>); the two formulas differ only for channels whose variance is near ε.
/// </para>
/// <para>State names are those of <c>BatchNorm2d</c>: <c>weight</c> (Darknet's <c>scales</c>), <c>bias</c>
/// (<c>biases</c>), <c>running_mean</c> (<c>rolling_mean</c>) and <c>running_var</c> (<c>rolling_variance</c>).</para>
/// </remarks>
public sealed class DarknetBatchNorm : nn.Module<Tensor, Tensor>
{
    /// <summary>Darknet's constant added to the standard deviation.</summary>
    public const float DarknetEpsilon = 1e-6f;

    private const double TrainingEpsilon = 1e-5;

    private readonly Parameter _weight;
    private readonly Parameter _bias;
    private readonly Tensor _runningMean;
    private readonly Tensor _runningVar;

    /// <param name="features">Channels normalized.</param>
    /// <param name="momentum">Weight of a batch's statistics in the running statistics while training. Defaults to 0.1 (PyTorch's; Darknet uses 0.01).</param>
    /// <param name="device">Where the tensors are created. Defaults to the CPU.</param>
    public DarknetBatchNorm(long features, double momentum = 0.1, Device? device = null)
        : base("DarknetBatchNorm")
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        if (!(momentum > 0 && momentum <= 1))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "Momentum must be in (0, 1].");
        Momentum = momentum;
        _weight = new Parameter(torch.ones(features, device: device));
        _bias = new Parameter(torch.zeros(features, device: device));
        _runningMean = torch.zeros(features, device: device);
        _runningVar = torch.ones(features, device: device);
        register_parameter("weight", _weight);
        register_parameter("bias", _bias);
        register_buffer("running_mean", _runningMean);
        register_buffer("running_var", _runningVar);
    }

    /// <summary>Weight of a batch's statistics in the running statistics while training.</summary>
    public double Momentum { get; }

    /// <summary>γ, Darknet's <c>scales</c>.</summary>
    public Parameter Weight => _weight;

    /// <summary>β, Darknet's <c>biases</c> of a batch-normalized layer.</summary>
    public Parameter Bias => _bias;

    /// <summary>μ, Darknet's <c>rolling_mean</c>.</summary>
    public Tensor RunningMean => _runningMean;

    /// <summary>σ², Darknet's <c>rolling_variance</c>.</summary>
    public Tensor RunningVariance => _runningVar;

    /// <summary>Normalizes channel 1 of <c>[N, C]</c> or <c>[N, C, H, W]</c>.</summary>
    public override Tensor forward(Tensor input)
    {
        if (training)
            return nn.functional.batch_norm(input, _runningMean, _runningVar, _weight, _bias, training: true, momentum: Momentum, eps: TrainingEpsilon);

        // Darknet's formula folded into one multiply-add per element: scale = γ / (√σ² + 1e-6), shift = β - μ·scale.
        using var scope = torch.NewDisposeScope();
        var shape = input.dim() == 4 ? new long[] { 1, -1, 1, 1 } : new long[] { 1, -1 };
        var scale = _weight.div(_runningVar.sqrt().add(DarknetEpsilon));
        var shift = _bias.sub(_runningMean.mul(scale));
        return torch.addcmul(shift.view(shape), input, scale.view(shape), 1).MoveToOuterDisposeScope();
    }
}
