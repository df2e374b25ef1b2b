using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// Mask R-CNN's mask head (torchvision's <c>MaskRCNNHeads</c>): a stack of 3 × 3 convolutions, each followed by ReLU,
/// on the RoI features pooled for the masks (He et al., "Mask R-CNN", ICCV 2017, figure 4, right: four convolutions of 256).
/// </summary>
/// <remarks>
/// Names as torchvision 0.13 and later write them (state-dict version 2): layer <c>i</c>'s convolution is <c>i.0</c>
/// (<c>mask_head.0.0.weight</c> … <c>mask_head.3.0.weight</c>); older checkpoints called them <c>mask_fcn1</c> …
/// <c>mask_fcn4</c>, which torchvision renames when it loads them. Weights are initialised Kaiming-normal (fan out,
/// ReLU) and biases 0, as torchvision.
/// </remarks>
public sealed class MaskRcnnHeads : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor>[] _layers;

    /// <param name="inChannels">Channels of the pooled features.</param>
    /// <param name="layers">Output channels of each convolution; at least one.</param>
    /// <param name="dilation">Dilation (and padding) of the convolutions. torchvision uses 1.</param>
    /// <param name="device">Where the weights live. Defaults to the CPU.</param>
    public MaskRcnnHeads(int inChannels, IReadOnlyList<int> layers, int dilation = 1, Device? device = null) : base(nameof(MaskRcnnHeads))
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (inChannels <= 0)
            throw new ArgumentOutOfRangeException(nameof(inChannels), $"inChannels must be positive, got {inChannels}.");
        if (layers.Count == 0 || layers.Any(l => l <= 0))
            throw new ArgumentOutOfRangeException(nameof(layers), $"layers must list at least one positive channel count, got [{string.Join(", ", layers)}].");
        if (dilation <= 0)
            throw new ArgumentOutOfRangeException(nameof(dilation), $"dilation must be positive, got {dilation}.");
        _layers = new nn.Module<Tensor, Tensor>[layers.Count];
        long channels = inChannels;
        for (int i = 0; i < layers.Count; i++)
        {
            var conv = nn.Conv2d(channels, layers[i], 3, padding: dilation, dilation: dilation, device: device);
            using (torch.no_grad())
            {
                nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
                nn.init.zeros_(conv.bias);
            }
            _layers[i] = nn.Sequential(("0", conv), ("1", nn.ReLU()));
            register_module(i.ToString(System.Globalization.CultureInfo.InvariantCulture), _layers[i]);
            channels = layers[i];
        }
        OutChannels = (int)channels;
    }

    /// <summary>Channels of the output (the last layer's).</summary>
    public int OutChannels { get; }

    /// <summary><c>[R, inChannels, h, w]</c> pooled features to <c>[R, OutChannels, h, w]</c>.</summary>
    public override Tensor forward(Tensor pooled)
    {
        var x = pooled;
        foreach (var layer in _layers)
            x = layer.call(x);
        return x;
    }

    /// <summary>Children are registered by name in the constructor (torchvision's names); TorchSharp must not add the fields again under their C# names.</summary>
    protected override void RegisterComponents()
    {
    }
}
