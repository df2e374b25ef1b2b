namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// What a <c>[yolo]</c> section of a Darknet cfg says, with Darknet's defaults filled in.
/// </summary>
/// <param name="LayerIndex">The section's Darknet layer index (0 = the first section after <c>[net]</c>).</param>
/// <param name="Classes">Number of classes (<c>classes=</c>; Darknet's default 20).</param>
/// <param name="AllAnchors">Every anchor of the network, (width, height) in network-input pixels (<c>anchors=</c>).</param>
/// <param name="Mask">Indices into <paramref name="AllAnchors"/> of the anchors this layer predicts with (<c>mask=</c>; default all).</param>
/// <param name="IgnoreThreshold">
/// IoU above which a prediction that is not responsible for a ground-truth box is not penalised as background
/// (<c>ignore_thresh=</c>; default 0.5).
/// </param>
/// <param name="TruthThreshold">IoU above which a prediction is also trained as responsible (<c>truth_thresh=</c>; default 1, never).</param>
/// <param name="ScaleXY">
/// Grid-sensitivity factor s of the box centre, <c>bx = (col + s·σ(tx) - (s-1)/2) / gridW</c> (<c>scale_x_y=</c>, from
/// AlexeyAB's Darknet fork; default 1, which is the original YOLOv3 decode).
/// </param>
/// <param name="Jitter">Darknet's training augmentation strength (<c>jitter=</c>; default 0.2).</param>
public sealed record DarknetYoloSettings(
    int LayerIndex,
    int Classes,
    IReadOnlyList<(float Width, float Height)> AllAnchors,
    IReadOnlyList<int> Mask,
    float IgnoreThreshold,
    float TruthThreshold,
    float ScaleXY,
    float Jitter)
{
    /// <summary>The anchors this layer predicts with, (width, height) in network-input pixels: <c>AllAnchors[Mask[i]]</c>.</summary>
    public IReadOnlyList<(float Width, float Height)> Anchors => Mask.Select(m => AllAnchors[m]).ToArray();

    /// <summary>Channels of the layer's input: <c>len(mask) x (classes + 5)</c>.</summary>
    public int Channels => Mask.Count * (Classes + 5);
}
