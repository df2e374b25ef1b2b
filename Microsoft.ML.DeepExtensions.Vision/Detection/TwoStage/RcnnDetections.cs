using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>One image's detections from an R-CNN, best first.</summary>
/// <param name="Boxes"><c>[K, 4]</c> xyxy.</param>
/// <param name="Scores"><c>[K]</c> class probabilities.</param>
/// <param name="Labels"><c>[K]</c> int64 class indices counted with the background as 0 (so 1 is the first object class), as torchvision's.</param>
/// <param name="MaskProbabilities">Mask R-CNN only: <c>[K, M, M]</c> each detection's mask probabilities of its class on its box's
/// M × M grid (torchvision's <c>masks</c> before pasting; <see cref="MaskPaster"/> puts them into the image). Null without a mask branch.</param>
public sealed record RcnnDetections(Tensor Boxes, Tensor Scores, Tensor Labels, Tensor? MaskProbabilities = null);
