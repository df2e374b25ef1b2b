namespace Microsoft.ML.DeepExtensions.Vision.Segmentation;

/// <summary>The 21 PASCAL VOC classes, in the order torchvision's pretrained segmentation models predict them
/// (their weights' <c>meta["categories"]</c>): used when a 21-class model comes without names.</summary>
internal static class VocClassNames
{
    public static readonly IReadOnlyList<string> All = new[]
    {
        "__background__", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
        "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    };
}
