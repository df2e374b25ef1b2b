using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// Builders of Mask R-CNN (He, Gkioxari, Dollár and Girshick, "Mask R-CNN", ICCV 2017; torchvision's <c>MaskRCNN</c>):
/// a <see cref="FasterRcnn"/> whose RoI heads also have the mask branch (RoIAlign to 14 × 14, four 3 × 3 convolutions,
/// a deconvolution and one 28 × 28 mask per class), as torchvision's <c>MaskRCNN</c> is a <c>FasterRCNN</c> given
/// those parts.
/// </summary>
public static class MaskRcnn
{
    /// <summary>
    /// torchvision's <c>maskrcnn_resnet50_fpn</c> layout on any ResNet depth: the <see cref="FasterRcnn.ResNetFpn"/>
    /// network with the mask branch.
    /// </summary>
    /// <param name="depth">ResNet depth: 18, 34, 50, 101 or 152.</param>
    /// <param name="classes">Classes including the background.</param>
    /// <param name="minSize">The transform's shorter side. Defaults to 800.</param>
    /// <param name="maxSize">The transform's longer-side cap. Defaults to 1333.</param>
    /// <param name="fpnChannels">Pyramid channels. Defaults to 256.</param>
    /// <param name="rpnSettings">RPN numbers. Defaults to <see cref="RpnSettings"/>' defaults.</param>
    /// <param name="roiHeadSettings">Box head numbers. Defaults to <see cref="RoIHeadSettings"/>' defaults.</param>
    /// <param name="maskHead">Mask branch numbers. Defaults to <see cref="MaskHeadSettings"/>' defaults.</param>
    /// <param name="device">Where the weights live. Defaults to the CPU.</param>
    public static FasterRcnn ResNetFpn(int depth, int classes, int minSize = 800, int maxSize = 1333, int fpnChannels = 256,
        RpnSettings? rpnSettings = null, RoIHeadSettings? roiHeadSettings = null, MaskHeadSettings? maskHead = null, Device? device = null) =>
        new(RcnnBackbone.ResNetFpn(depth, fpnChannels, device), FasterRcnn.FpnAnchors(), classes, new RcnnImageTransform(minSize, maxSize),
            rpnSettings, roiHeadSettings, device, maskHead ?? new MaskHeadSettings());
}
