using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// Faster R-CNN's box predictor (torchvision's <c>FastRCNNPredictor</c>): from the box head's representation, class
/// logits (<c>cls_score</c>, background as class 0) and class-specific box deltas (<c>bbox_pred</c>, four per class).
/// </summary>
/// <remarks>Girshick, "Fast R-CNN", ICCV 2015, section 2.</remarks>
public sealed class FastRcnnPredictor : nn.Module<Tensor, (Tensor Logits, Tensor Deltas)>
{
    private readonly nn.Module<Tensor, Tensor> _score;
    private readonly nn.Module<Tensor, Tensor> _deltas;

    /// <param name="inFeatures">Width of the box head's representation.</param>
    /// <param name="classes">Classes including the background.</param>
    /// <param name="device">Where the weights live. Defaults to the CPU.</param>
    public FastRcnnPredictor(int inFeatures, int classes, Device? device = null) : base(nameof(FastRcnnPredictor))
    {
        if (inFeatures <= 0)
            throw new ArgumentOutOfRangeException(nameof(inFeatures), $"inFeatures must be positive, got {inFeatures}.");
        if (classes < 2)
            throw new ArgumentOutOfRangeException(nameof(classes), $"classes counts the background too and must be at least 2, got {classes}.");
        _score = nn.Linear(inFeatures, classes, device: device);
        _deltas = nn.Linear(inFeatures, 4L * classes, device: device);
        register_module("cls_score", _score);
        register_module("bbox_pred", _deltas);
        Classes = classes;
    }

    /// <summary>Classes including the background.</summary>
    public int Classes { get; }

    /// <summary>Logits <c>[R, Classes]</c> and deltas <c>[R, 4·Classes]</c>.</summary>
    public override (Tensor Logits, Tensor Deltas) forward(Tensor features) => (_score.call(features), _deltas.call(features));

    /// <summary>Children are registered by name in the constructor (torchvision's names); TorchSharp must not add the fields again under their C# names.</summary>
    protected override void RegisterComponents()
    {
    }
}
