namespace Microsoft.ML.DeepExtensions.Vision.Detection.Rcnn;

/// <summary>Which torchvision R-CNN an ONNX file holds.</summary>
public enum RcnnVariant
{
    /// <summary>Faster R-CNN: boxes, labels, scores.</summary>
    FasterRcnn,

    /// <summary>Mask R-CNN: boxes, labels, scores and a probability mask per detection.</summary>
    MaskRcnn,
}
