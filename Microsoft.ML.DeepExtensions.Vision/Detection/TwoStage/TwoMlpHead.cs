using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// Faster R-CNN's box head with an FPN (torchvision's <c>TwoMLPHead</c>): the pooled RoI features flattened, then two
/// fully connected layers with ReLU, <c>fc6</c> and <c>fc7</c>.
/// </summary>
/// <remarks>Formula: <c>h = relu(fc7(relu(fc6(flatten(x)))))</c>. Lin et al., "Feature Pyramid Networks", 2017, section 4.2.</remarks>
public sealed class TwoMlpHead : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> _fc6;
    private readonly nn.Module<Tensor, Tensor> _fc7;

    /// <param name="inFeatures">Values per pooled RoI: channels × pooled height × pooled width.</param>
    /// <param name="representationSize">Width of both layers; torchvision uses 1024.</param>
    /// <param name="device">Where the weights live. Defaults to the CPU.</param>
    public TwoMlpHead(long inFeatures, int representationSize, Device? device = null) : base(nameof(TwoMlpHead))
    {
        if (inFeatures <= 0 || representationSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(representationSize), $"inFeatures and representationSize must be positive, got {inFeatures} and {representationSize}.");
        _fc6 = nn.Linear(inFeatures, representationSize, device: device);
        _fc7 = nn.Linear(representationSize, representationSize, device: device);
        register_module("fc6", _fc6);
        register_module("fc7", _fc7);
        RepresentationSize = representationSize;
    }

    /// <summary>Width of both layers.</summary>
    public int RepresentationSize { get; }

    /// <summary><c>[R, C, h, w]</c> pooled features to <c>[R, RepresentationSize]</c>.</summary>
    public override Tensor forward(Tensor pooled) =>
        nn.functional.relu(_fc7.call(nn.functional.relu(_fc6.call(pooled.flatten(1)))));

    /// <summary>Children are registered by name in the constructor (torchvision's names); TorchSharp must not add the fields again under their C# names.</summary>
    protected override void RegisterComponents()
    {
    }
}
