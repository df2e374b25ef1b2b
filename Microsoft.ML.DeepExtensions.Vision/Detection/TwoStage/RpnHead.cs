using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// The region proposal network's head (Ren et al., "Faster R-CNN", NeurIPS 2015, section 3.1; torchvision's
/// <c>RPNHead</c>): on every feature map, a shared 3×3 convolution with ReLU, then per anchor of each position one
/// objectness logit (1×1 convolution, <c>cls_logits</c>) and four box deltas (<c>bbox_pred</c>).
/// </summary>
/// <remarks>Names as torchvision: <c>conv.0.0</c>, <c>cls_logits</c>, <c>bbox_pred</c>; weights initialised normal with
/// standard deviation 0.01, biases 0.</remarks>
public sealed class RpnHead : nn.Module
{
    private readonly nn.Module<Tensor, Tensor> _conv;
    private readonly nn.Module<Tensor, Tensor> _logits;
    private readonly nn.Module<Tensor, Tensor> _deltas;

    /// <param name="channels">Channels of the feature maps.</param>
    /// <param name="anchorsPerPosition">Anchors per feature-map position (3 per FPN level, 9 on the original single map).</param>
    /// <param name="device">Where the weights live. Defaults to the CPU.</param>
    public RpnHead(int channels, int anchorsPerPosition, Device? device = null) : base(nameof(RpnHead))
    {
        if (channels <= 0)
            throw new ArgumentOutOfRangeException(nameof(channels), $"channels must be positive, got {channels}.");
        if (anchorsPerPosition <= 0)
            throw new ArgumentOutOfRangeException(nameof(anchorsPerPosition), $"anchorsPerPosition must be positive, got {anchorsPerPosition}.");
        var conv = nn.Conv2d(channels, channels, 3, padding: 1, device: device);
        var logits = nn.Conv2d(channels, anchorsPerPosition, 1, device: device);
        var deltas = nn.Conv2d(channels, 4 * anchorsPerPosition, 1, device: device);
        using (torch.no_grad())
        {
            foreach (var layer in new[] { conv, logits, deltas })
            {
                nn.init.normal_(layer.weight, std: 0.01);
                nn.init.zeros_(layer.bias);
            }
        }
        _conv = nn.Sequential(("0", nn.Sequential(("0", conv), ("1", nn.ReLU()))));
        _logits = logits;
        _deltas = deltas;
        register_module("conv", _conv);
        register_module("cls_logits", _logits);
        register_module("bbox_pred", _deltas);
        AnchorsPerPosition = anchorsPerPosition;
    }

    /// <summary>Anchors per feature-map position.</summary>
    public int AnchorsPerPosition { get; }

    /// <summary>Objectness logits <c>[N, A, H, W]</c> and deltas <c>[N, 4A, H, W]</c> of every map.</summary>
    public (Tensor[] Objectness, Tensor[] Deltas) forward(IReadOnlyList<Tensor> maps)
    {
        ArgumentNullException.ThrowIfNull(maps);
        var objectness = new Tensor[maps.Count];
        var deltas = new Tensor[maps.Count];
        for (int i = 0; i < maps.Count; i++)
        {
            var shared = _conv.call(maps[i]);
            objectness[i] = _logits.call(shared);
            deltas[i] = _deltas.call(shared);
        }
        return (objectness, deltas);
    }

    /// <summary>
    /// One level's <c>[N, A·C, H, W]</c> output as <c>[N, H·W·A, C]</c>: rows in the anchor generator's order
    /// (row, column, anchor), as torchvision's <c>permute_and_flatten</c>.
    /// </summary>
    internal static Tensor Flatten(Tensor output, long valuesPerAnchor)
    {
        long n = output.shape[0], h = output.shape[2], w = output.shape[3];
        return output.view(n, -1, valuesPerAnchor, h, w).permute(0, 3, 4, 1, 2).reshape(n, -1, valuesPerAnchor);
    }

    /// <summary>Children are registered by name in the constructor (torchvision's names); TorchSharp must not add the fields again under their C# names.</summary>
    protected override void RegisterComponents()
    {
    }
}
