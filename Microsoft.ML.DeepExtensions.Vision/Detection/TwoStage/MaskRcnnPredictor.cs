using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// Mask R-CNN's mask predictor (torchvision's <c>MaskRCNNPredictor</c>): a 2 × 2 transposed convolution of stride 2
/// (<c>conv5_mask</c>) that doubles the side, ReLU, and a 1 × 1 convolution (<c>mask_fcn_logits</c>) giving one mask
/// logit map per class, background included (He et al., "Mask R-CNN", ICCV 2017, section 3: a K·m² output, one
/// m × m binary mask per class, so classes do not compete).
/// </summary>
/// <remarks>Weights initialised Kaiming-normal (fan out, ReLU) and biases 0, as torchvision.</remarks>
public sealed class MaskRcnnPredictor : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> _deconvolution;
    private readonly nn.Module<Tensor, Tensor> _logits;

    /// <param name="inChannels">Channels of the mask head's output.</param>
    /// <param name="channels">Channels of the deconvolution (torchvision's <c>dim_reduced</c>, 256).</param>
    /// <param name="classes">Classes including the background; at least 2.</param>
    /// <param name="device">Where the weights live. Defaults to the CPU.</param>
    public MaskRcnnPredictor(int inChannels, int channels, int classes, Device? device = null) : base(nameof(MaskRcnnPredictor))
    {
        if (inChannels <= 0 || channels <= 0)
            throw new ArgumentOutOfRangeException(nameof(channels), $"inChannels and channels must be positive, got {inChannels} and {channels}.");
        if (classes < 2)
            throw new ArgumentOutOfRangeException(nameof(classes), $"classes counts the background too and must be at least 2, got {classes}.");
        var deconvolution = nn.ConvTranspose2d(inChannels, channels, 2, stride: 2, device: device);
        var logits = nn.Conv2d(channels, classes, 1, device: device);
        using (torch.no_grad())
        {
            nn.init.kaiming_normal_(deconvolution.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
            nn.init.zeros_(deconvolution.bias);
            nn.init.kaiming_normal_(logits.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
            nn.init.zeros_(logits.bias);
        }
        _deconvolution = deconvolution;
        _logits = logits;
        register_module("conv5_mask", _deconvolution);
        register_module("mask_fcn_logits", _logits);
        Classes = classes;
    }

    /// <summary>Classes including the background.</summary>
    public int Classes { get; }

    /// <summary><c>[R, inChannels, h, w]</c> to mask logits <c>[R, Classes, 2h, 2w]</c>.</summary>
    public override Tensor forward(Tensor features) => _logits.call(nn.functional.relu(_deconvolution.call(features)));

    /// <summary>Children are registered by name in the constructor (torchvision's names); TorchSharp must not add the fields again under their C# names.</summary>
    protected override void RegisterComponents()
    {
    }
}
