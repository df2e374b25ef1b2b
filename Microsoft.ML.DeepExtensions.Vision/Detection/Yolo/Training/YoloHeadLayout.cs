namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo.Training;

/// <summary>
/// One YOLO output scale as the loss and the decoder need it: which of the network's anchors it predicts with,
/// and Darknet's per-layer settings.
/// </summary>
/// <param name="Mask">Indices into the network's anchors of this scale's anchors, in channel order.</param>
/// <param name="IgnoreThreshold">A prediction overlapping some ground truth by more than this IoU is not trained as background.</param>
/// <param name="ScaleXY">Grid sensitivity of the centre, <c>s·σ(t) - (s - 1)/2</c>; 1 is YOLOv3's decode.</param>
internal sealed record YoloHeadLayout(IReadOnlyList<int> Mask, float IgnoreThreshold, float ScaleXY = 1f);
