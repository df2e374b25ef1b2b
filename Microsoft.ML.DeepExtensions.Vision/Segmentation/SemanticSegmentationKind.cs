namespace Microsoft.ML.DeepExtensions.Vision.Segmentation;

/// <summary>
/// torchvision's semantic segmentation families. All three export one image in (<c>[B, 3, H, W]</c>, RGB / 255
/// normalized with ImageNet's mean and std) and <c>out</c> <c>[B, C, H, W]</c> out: per-class logits already upsampled to
/// the input size (FCN and DeepLabV3 may add an <c>aux</c> output, which is not read).
/// </summary>
public enum SemanticSegmentationKind
{
    /// <summary>DeepLabV3 (torchvision's <c>deeplabv3_resnet50</c>, <c>deeplabv3_mobilenet_v3_large</c>, ...): ASPP head.</summary>
    DeepLabV3,

    /// <summary>Fully convolutional network (torchvision's <c>fcn_resnet50</c>, <c>fcn_resnet101</c>).</summary>
    Fcn,

    /// <summary>Lite R-ASPP (torchvision's <c>lraspp_mobilenet_v3_large</c>).</summary>
    Lraspp,
}
