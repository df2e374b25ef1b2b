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
}
