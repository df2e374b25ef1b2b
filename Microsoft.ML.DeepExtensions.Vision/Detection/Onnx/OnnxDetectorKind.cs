namespace Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;

/// <summary>The exported-model layouts the ONNX detectors read.</summary>
public enum OnnxDetectorKind
{
    /// <summary>
    /// The ONNX model zoo's YOLOv3: inputs <c>input_1</c> <c>[B, 3, H, W]</c> (letterboxed RGB / 255, 128 grey pad)
    /// and <c>image_shape</c> <c>[B, 2]</c> (original height, width); outputs boxes <c>[B, N, 4]</c> (y1 x1 y2 x2 in
    /// original pixels), scores <c>[B, C, N]</c> and the indices <c>[K, 3]</c> (batch, class, box) its
    /// NonMaxSuppression node selected.
    /// </summary>
    YoloV3,

    /// <summary>Ultralytics YOLOv5 export: one output <c>[B, N, 5 + C]</c>: cx cy w h (input pixels), objectness, C class probabilities.</summary>
    YoloV5,

    /// <summary>Ultralytics YOLOv8 and later (v8, v9, v10 without end-to-end head, 11) export: one output <c>[B, 4 + C, N]</c>: cx cy w h then C class probabilities, no objectness.</summary>
    YoloV8,

    /// <summary>End-to-end YOLO export without NMS (YOLOv10 and later): one output <c>[B, N, 6]</c>: x0 y0 x1 y1 (input pixels), score, class index.</summary>
    YoloEndToEnd,

    /// <summary>Ultralytics YOLOv8-and-later segmentation export: output <c>[B, 4 + C + M, N]</c> (cx cy w h, C class probabilities,
    /// M mask coefficients) and prototypes <c>[B, M, H/4, W/4]</c> (M is 32 in Ultralytics' models).</summary>
    YoloV8Segmentation,

    /// <summary>torchvision's Faster R-CNN exported to ONNX: input one float CHW 0..1 RGB image; outputs boxes <c>[N, 4]</c> (xyxy, original pixels), labels <c>[N]</c>, scores <c>[N]</c>.</summary>
    FasterRcnn,

    /// <summary>torchvision's Mask R-CNN exported to ONNX: Faster R-CNN's outputs plus masks <c>[N, 1, H, W]</c> (probabilities, full image).</summary>
    MaskRcnn,
}
