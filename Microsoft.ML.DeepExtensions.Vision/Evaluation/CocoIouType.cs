namespace Microsoft.ML.DeepExtensions.Vision.Evaluation;

/// <summary>What a prediction is compared with a ground truth by (pycocotools' <c>iouType</c>).</summary>
public enum CocoIouType
{
    /// <summary>Box IoU (<c>"bbox"</c>); area ranges use the ground truth's <c>area</c> and the prediction's box area.</summary>
    BoundingBox,

    /// <summary>Mask IoU over run-length encodings (<c>"segm"</c>); area ranges use the ground truth's <c>area</c> and the
    /// prediction's mask area. With a crowd ground truth the union is the prediction's area, as for boxes.</summary>
    Segmentation,
}
