namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;

/// <summary>The YOLO export layouts <see cref="YoloObjectDetector"/> reads (see <see cref="Onnx.OnnxDetectorKind"/> for the tensors).</summary>
public enum YoloVersion
{
    /// <summary>The ONNX model zoo's YOLOv3 (and tiny-YOLOv3): image + image_shape in; boxes, scores and NMS indices out.</summary>
    V3,

    /// <summary>Ultralytics YOLOv5: output <c>[B, N, 5 + classes]</c> with objectness.</summary>
    V5,

    /// <summary>Ultralytics YOLOv8 and later (v9, v11, ...): output <c>[B, 4 + classes, N]</c>, no objectness.</summary>
    V8,

    /// <summary>
    /// End-to-end exports without NMS (YOLOv10, and later models exported end to end): output <c>[B, N, 6]</c>,
    /// x0 y0 x1 y1 (input pixels), score, class index, best first; only the confidence threshold and
    /// <c>MaxDetections</c> apply. Read as such when the last axis is 6 and there are at most 1,000 rows (or a dynamic
    /// number), as Ultralytics does; a one-class YOLOv5 export (<c>[B, 25200, 6]</c>) stays <see cref="V5"/>.
    /// </summary>
    EndToEnd,

    /// <summary>
    /// Ultralytics YOLOv8-and-later segmentation (v8-seg, v11-seg, ...): output <c>[B, 4 + classes + 32, N]</c> (boxes,
    /// class probabilities, 32 mask coefficients) and prototypes <c>[B, 32, H/4, W/4]</c>; adds instance masks.
    /// </summary>
    V8Segmentation,
}
