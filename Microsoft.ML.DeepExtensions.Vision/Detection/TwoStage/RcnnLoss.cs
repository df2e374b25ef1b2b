using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>Faster R-CNN's training loss, part by part (torchvision's <c>loss_objectness</c>, <c>loss_rpn_box_reg</c>,
/// <c>loss_classifier</c>, <c>loss_box_reg</c>); the total is their sum.</summary>
/// <param name="Objectness">RPN objectness binary cross-entropy.</param>
/// <param name="RpnBox">RPN box smooth L1.</param>
/// <param name="Classifier">Box head classifier cross-entropy.</param>
/// <param name="Box">Box head box smooth L1.</param>
public sealed record RcnnLoss(Tensor Objectness, Tensor RpnBox, Tensor Classifier, Tensor Box)
{
    /// <summary>Names of the parts, in <see cref="Parts"/> order, as the training log shows them.</summary>
    public static IReadOnlyList<string> PartNames { get; } = new[] { "rpn-objectness", "rpn-box", "classifier", "box" };

    /// <summary>The sum of the parts, to differentiate.</summary>
    public Tensor Total => Objectness + RpnBox + Classifier + Box;

    /// <summary>The parts as a detached float vector, <see cref="PartNames"/> order.</summary>
    public Tensor Parts => torch.stack(new[] { Objectness, RpnBox, Classifier, Box }).detach().to(ScalarType.Float32);
}
