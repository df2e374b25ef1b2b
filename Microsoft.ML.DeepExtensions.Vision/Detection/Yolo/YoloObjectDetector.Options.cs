using Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;

public sealed partial class YoloObjectDetector
{
    /// <summary>Settings of <see cref="YoloObjectDetector"/>; the file, image column, device and output columns are
    /// <see cref="OnnxDetectorOptions"/>'.</summary>
    public sealed class Options : OnnxDetectorOptions
    {
        /// <summary>
        /// Creates the settings with their defaults. <see cref="Vision.Onnx.OnnxScorerOptions.BatchSize"/> defaults to 8 here:
        /// images per ONNX Runtime call when the model's batch axis is dynamic (a model with a fixed batch size gets that
        /// many per call).
        /// </summary>
        public Options() => BatchSize = 8;

        /// <summary>The export layout of <see cref="Vision.Onnx.OnnxScorerOptions.ModelPath"/>. Defaults to <see cref="YoloVersion.V8"/>.
        /// A file of another layout is refused with a message saying what it looks like.</summary>
        public YoloVersion Version { get; set; } = YoloVersion.V8;

        /// <summary>
        /// Detections scoring at or below this are dropped (v5: objectness × class probability; v8 and segmentation: class
        /// probability; end-to-end: the score column; v3: the score its NMS node kept, which applies its own threshold
        /// first). Defaults to 0.25 (Ultralytics' predict default).
        /// </summary>
        public float ConfidenceThreshold { get; set; } = 0.25f;

        /// <summary>NMS drops a box overlapping a kept box of the same class with IoU above this. Defaults to 0.45.
        /// Not used by <see cref="YoloVersion.V3"/>, whose graph holds its own NMS, nor by <see cref="YoloVersion.EndToEnd"/>, which needs none.</summary>
        public float IouThreshold { get; set; } = 0.45f;

        /// <summary>At most this many detections per image, the highest scores. Defaults to 300 (Ultralytics' max_det).</summary>
        public int MaxDetections { get; set; } = 300;

        /// <summary>Whether NMS ignores classes (a box suppresses overlapping boxes of any class). Defaults to false.</summary>
        public bool ClassAgnosticNms { get; set; }

        /// <summary>
        /// <see cref="YoloVersion.V5"/> only: whether every class of a candidate scoring above the threshold is a detection
        /// of its own (Ultralytics' <c>multi_label=True</c>, what its validation and DeepExtensions' trained YOLO detectors
        /// do) rather than only its best class (Ultralytics' predict default). Defaults to null: the model's
        /// <c>multi_label</c> metadata (DeepExtensions' YOLO exports write <c>True</c>), else false.
        /// </summary>
        public bool? MultiLabel { get; set; }

        /// <summary>Class names in class-index order. Defaults to null: read from <see cref="ClassNamesFile"/>, else
        /// from the model's <c>names</c> metadata (Ultralytics exports write it); an error when neither has them.</summary>
        public IReadOnlyList<string>? ClassNames { get; set; }

        /// <summary>A text file with one class name per line (e.g. <c>coco.names</c>). Defaults to null.</summary>
        public string? ClassNamesFile { get; set; }

        /// <summary>The square network input size, for models whose input height and width are dynamic. Defaults to
        /// null: the model's fixed input size, else its <c>imgsz</c> metadata, else 640 (v5, v8) or 416 (v3).</summary>
        public int? InputSize { get; set; }

        /// <summary>Grey level of the letterbox padding. Defaults to null: 114 (v5, v8, as Ultralytics) or 128 (v3, as the model zoo).</summary>
        public byte? PaddingValue { get; set; }

        internal void Check()
        {
            CheckShared();
            if (!Enum.IsDefined(Version))
                throw new ArgumentOutOfRangeException(nameof(Version), Version, $"Version must be V3, V5, V8, EndToEnd or V8Segmentation, got {(int)Version}.");
            Onnx.DetectorThresholds.Check(ConfidenceThreshold, IouThreshold, MaxDetections);
            if (MultiLabel == true && Version != YoloVersion.V5)
                throw new ArgumentException($"MultiLabel applies to YoloVersion.V5 only, got Version {Version}.", nameof(MultiLabel));
            if (InputSize is <= 0 or > 8192)
                throw new ArgumentOutOfRangeException(nameof(InputSize), InputSize, $"InputSize must be in 1..8192, got {InputSize}.");
        }
    }
}
