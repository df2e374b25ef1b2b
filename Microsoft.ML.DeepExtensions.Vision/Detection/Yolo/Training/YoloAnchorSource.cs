namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo.Training;

/// <summary>Where the YOLO trainer takes its anchors from.</summary>
public enum YoloAnchorSource
{
    /// <summary>k-means over the training boxes with the 1 - IoU distance (YOLO9000's dimension clusters), as many anchors as the cfg has.</summary>
    KMeans,

    /// <summary>The cfg's own <c>anchors=</c>, as written (network-input pixels).</summary>
    Config,

    /// <summary>The paper's COCO anchors for a 416 input, scaled to the trainer's image size.</summary>
    Paper,
}
