using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// A feature pyramid (Lin et al., "Feature Pyramid Networks for Object Detection", CVPR 2017; torchvision's
/// <c>FeaturePyramidNetwork</c> with <c>LastLevelMaxPool</c>): from the coarsest map down, each level is a 1×1 lateral
/// convolution of its input map plus the coarser level upsampled ×2 (nearest), smoothed by a 3×3 convolution; an
/// extra coarsest level is the last one max-pooled with stride 2.
/// </summary>
/// <remarks>
/// Formula: <c>inner_k = lateral_k(C_k) + up(inner_{k+1})</c>, <c>P_k = smooth_k(inner_k)</c>, <c>P_pool = maxpool_{1, stride 2}(P_last)</c>.
/// Names as torchvision: <c>inner_blocks.k.0</c> (1×1) and <c>layer_blocks.k.0</c> (3×3, padding 1), with biases;
/// initialised Kaiming-uniform with <c>a = 1</c>, biases 0.
/// </remarks>
public sealed class FeaturePyramidNetwork : nn.Module<Tensor[], Tensor[]>
{
    private readonly nn.Module<Tensor, Tensor>[] _inner;
    private readonly nn.Module<Tensor, Tensor>[] _layer;

    /// <param name="inChannels">Channels of each input map, finest first.</param>
    /// <param name="outChannels">Channels of every pyramid level; torchvision uses 256.</param>
    /// <param name="lastLevelMaxPool">Whether to add the max-pooled extra level. Defaults to true (Faster R-CNN's).</param>
    /// <param name="device">Where the weights live. Defaults to the CPU.</param>
    public FeaturePyramidNetwork(IReadOnlyList<int> inChannels, int outChannels, bool lastLevelMaxPool = true, Device? device = null)
        : base(nameof(FeaturePyramidNetwork))
    {
        ArgumentNullException.ThrowIfNull(inChannels);
        if (inChannels.Count == 0 || inChannels.Any(c => c <= 0))
            throw new ArgumentException($"inChannels must give the positive channels of at least one map, got [{string.Join(", ", inChannels)}].", nameof(inChannels));
        if (outChannels <= 0)
            throw new ArgumentOutOfRangeException(nameof(outChannels), $"outChannels must be positive, got {outChannels}.");
        _inner = inChannels.Select(c => Block(nn.Conv2d(c, outChannels, 1, device: device))).ToArray();
        _layer = inChannels.Select(_ => Block(nn.Conv2d(outChannels, outChannels, 3, padding: 1, device: device))).ToArray();
        register_module("inner_blocks", nn.ModuleList(_inner));
        register_module("layer_blocks", nn.ModuleList(_layer));
        (OutChannels, LastLevelMaxPool) = (outChannels, lastLevelMaxPool);
    }

    /// <summary>Channels of every level.</summary>
    public int OutChannels { get; }

    /// <summary>Whether the max-pooled extra level is added.</summary>
    public bool LastLevelMaxPool { get; }

    /// <summary>The pyramid of <paramref name="maps"/> (finest first, each half the size of the one before).</summary>
    /// <returns>One level per input map, finest first, then the pooled level when <see cref="LastLevelMaxPool"/>.</returns>
    public override Tensor[] forward(Tensor[] maps)
    {
        ArgumentNullException.ThrowIfNull(maps);
        if (maps.Length != _inner.Length)
            throw new ArgumentException($"This pyramid takes {_inner.Length} maps, got {maps.Length}.", nameof(maps));
        var results = new Tensor[maps.Length + (LastLevelMaxPool ? 1 : 0)];
        var last = _inner[^1].call(maps[^1]);
        results[maps.Length - 1] = _layer[^1].call(last);
        for (int k = maps.Length - 2; k >= 0; k--)
        {
            var lateral = _inner[k].call(maps[k]);
            var topDown = nn.functional.interpolate(last, new[] { lateral.shape[2], lateral.shape[3] }, mode: InterpolationMode.Nearest);
            last = lateral + topDown;
            results[k] = _layer[k].call(last);
        }
        if (LastLevelMaxPool)
            results[^1] = nn.functional.max_pool2d(results[maps.Length - 1], 1, 2, 0);
        return results;
    }

    private static nn.Module<Tensor, Tensor> Block(TorchSharp.Modules.Conv2d convolution)
    {
        using (torch.no_grad())
        {
            nn.init.kaiming_uniform_(convolution.weight, a: 1);
            nn.init.zeros_(convolution.bias);
        }
        return nn.Sequential(("0", convolution));
    }

    /// <summary>Children are registered by name in the constructor (torchvision's names); TorchSharp must not add the fields again under their C# names.</summary>
    protected override void RegisterComponents()
    {
    }
}
