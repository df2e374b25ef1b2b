using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>Faster R-CNN's training loss, part by part (torchvision's <c>loss_objectness</c>, <c>loss_rpn_box_reg</c>,
/// <c>loss_classifier</c>, <c>loss_box_reg</c>), and Mask R-CNN's fifth part, <c>loss_mask</c>; the total is their sum.</summary>
/// <param name="Objectness">RPN objectness binary cross-entropy.</param>
/// <param name="RpnBox">RPN box smooth L1.</param>
/// <param name="Classifier">Box head classifier cross-entropy.</param>
/// <param name="Box">Box head box smooth L1.</param>
/// <param name="Mask">Mask R-CNN's mask binary cross-entropy; null for a Faster R-CNN.</param>
public sealed record RcnnLoss(Tensor Objectness, Tensor RpnBox, Tensor Classifier, Tensor Box, Tensor? Mask = null)
{
    /// <summary>Names of a Faster R-CNN's parts, in <see cref="Parts"/> order, as the training log shows them.</summary>
    public static IReadOnlyList<string> PartNames { get; } = new[] { "rpn-objectness", "rpn-box", "classifier", "box" };

    /// <summary>Names of a Mask R-CNN's parts: <see cref="PartNames"/> and <c>mask</c>.</summary>
    public static IReadOnlyList<string> MaskPartNames { get; } = PartNames.Append("mask").ToArray();

    /// <summary>The sum of the parts, to differentiate.</summary>
    public Tensor Total => Mask is null ? Objectness + RpnBox + Classifier + Box : Objectness + RpnBox + Classifier + Box + Mask;

    /// <summary>The parts as a detached float vector, <see cref="PartNames"/> (or <see cref="MaskPartNames"/>) order.</summary>
    public Tensor Parts => torch.stack(Mask is null ? new[] { Objectness, RpnBox, Classifier, Box } : new[] { Objectness, RpnBox, Classifier, Box, Mask })
        .detach().to(ScalarType.Float32);
}
