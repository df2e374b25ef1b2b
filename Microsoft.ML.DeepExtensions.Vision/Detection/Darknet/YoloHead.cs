namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// A <c>[yolo]</c> layer of a built <see cref="DarknetNetwork"/>: its cfg settings plus the geometry the input size
/// gives it. Everything a decoder or a YOLOv3 loss needs about one output of <see cref="DarknetNetwork.forward"/>.
/// </summary>
/// <param name="Settings">What the <c>[yolo]</c> section says (classes, anchors, mask, thresholds).</param>
/// <param name="OutputIndex">Position of this head's tensor in the array <see cref="DarknetNetwork.forward"/> returns.</param>
/// <param name="GridHeight">Rows of the head's grid.</param>
/// <param name="GridWidth">Columns of the head's grid.</param>
/// <param name="NetworkHeight">Height of the network's input in pixels.</param>
/// <param name="NetworkWidth">Width of the network's input in pixels.</param>
public sealed record YoloHead(DarknetYoloSettings Settings, int OutputIndex, int GridHeight, int GridWidth, int NetworkHeight, int NetworkWidth)
{
    /// <summary>The section's Darknet layer index.</summary>
    public int LayerIndex => Settings.LayerIndex;

    /// <summary>Number of classes.</summary>
    public int Classes => Settings.Classes;

    /// <summary>Anchors predicted at every cell, (width, height) in network-input pixels.</summary>
    public IReadOnlyList<(float Width, float Height)> Anchors => Settings.Anchors;

    /// <summary>Indices of <see cref="Anchors"/> in the network's full anchor list.</summary>
    public IReadOnlyList<int> Mask => Settings.Mask;

    /// <summary>Anchors per cell, A.</summary>
    public int AnchorCount => Settings.Mask.Count;

    /// <summary>The ignore threshold of the YOLOv3 loss.</summary>
    public float IgnoreThreshold => Settings.IgnoreThreshold;

    /// <summary>The grid-sensitivity factor of the box centre (1 = original YOLOv3).</summary>
    public float ScaleXY => Settings.ScaleXY;

    /// <summary>Horizontal stride: network-input pixels per grid column, <c>NetworkWidth / GridWidth</c>.</summary>
    public float StrideX => (float)NetworkWidth / GridWidth;

    /// <summary>Vertical stride: network-input pixels per grid row, <c>NetworkHeight / GridHeight</c>.</summary>
    public float StrideY => (float)NetworkHeight / GridHeight;

    /// <summary>Shape of the head's tensor for a batch of N: <c>[N, A·(5 + classes), H, W]</c>, Darknet's layout (per anchor: x, y, w, h, objectness, classes).</summary>
    public long[] OutputShape(long batch) => new[] { batch, (long)Settings.Channels, GridHeight, GridWidth };
}
