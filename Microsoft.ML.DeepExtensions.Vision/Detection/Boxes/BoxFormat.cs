namespace Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;

/// <summary>How the four numbers of a box are laid out (x to the right, y down, in pixels).</summary>
public enum BoxFormat
{
    /// <summary>Corners: <c>x0, y0, x1, y1</c> (top-left, bottom-right), as torchvision's <c>"xyxy"</c>.</summary>
    Xyxy,

    /// <summary>Top-left corner and size: <c>x, y, width, height</c>, as COCO's <c>bbox</c> and torchvision's <c>"xywh"</c>.</summary>
    Xywh,

    /// <summary>Center and size: <c>cx, cy, width, height</c>, as YOLO and torchvision's <c>"cxcywh"</c>.</summary>
    Cxcywh,
}
