using Microsoft.ML.DeepExtensions.Backend;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;

public sealed partial class YoloObjectDetector
{
    /// <summary>Settings of <see cref="YoloObjectDetector"/>.</summary>
    public sealed class Options
    {
        /// <summary>The ONNX file. Required.</summary>
        public string ModelPath { get; set; } = "";

        /// <summary>The export layout of <see cref="ModelPath"/>. Defaults to <see cref="YoloVersion.V8"/>.
        /// A file of another layout is refused with a message saying what it looks like.</summary>
        public YoloVersion Version { get; set; } = YoloVersion.V8;

        /// <summary>The input image column (an <c>MLImage</c>, from <c>LoadImages</c>). Defaults to <c>Image</c>.</summary>
        public string ImageColumnName { get; set; } = "Image";

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

        /// <summary>Images per ONNX Runtime call in <c>Transform</c> when the model's batch axis is dynamic (a model with
        /// a fixed batch size gets that many per call). Defaults to 8.</summary>
        public int BatchSize { get; set; } = 8;

        /// <summary>Where ONNX Runtime scores. Defaults to <see cref="ComputeDevice.Auto"/>: CUDA when ONNX Runtime's CUDA
        /// execution provider is present, else the CPU. <see cref="ComputeDevice.Cuda"/> without it fails unless
        /// <c>MLContext.FallbackToCpu</c> is set.</summary>
        public ComputeDevice Device { get; set; } = ComputeDevice.Auto;

        /// <summary>The GPU for CUDA. Defaults to null: <c>MLContext.GpuDeviceId</c>, else 0.</summary>
        public int? CudaDeviceIndex { get; set; }

        /// <summary>Defaults to <c>PredictedLabel</c>.</summary>
        public string PredictedLabelColumnName { get; set; } = DetectionColumns.DefaultPredictedLabelColumnName;

        /// <summary>Defaults to <c>Score</c>.</summary>
        public string ScoreColumnName { get; set; } = DetectionColumns.DefaultScoreColumnName;

        /// <summary>Defaults to <c>PredictedBoundingBoxes</c>.</summary>
        public string PredictedBoundingBoxesColumnName { get; set; } = DetectionColumns.DefaultPredictedBoundingBoxesColumnName;

        /// <summary>The instance masks column of <see cref="YoloVersion.V8Segmentation"/> (see <see cref="DetectionColumns"/>).
        /// Defaults to <c>PredictedMasks</c>.</summary>
        public string PredictedMasksColumnName { get; set; } = DetectionColumns.DefaultPredictedMasksColumnName;

        internal void Check()
        {
            if (string.IsNullOrWhiteSpace(ModelPath))
                throw new ArgumentException("ModelPath must name an ONNX file, got none.", nameof(ModelPath));
            if (!Enum.IsDefined(Version))
                throw new ArgumentOutOfRangeException(nameof(Version), Version, $"Version must be V3, V5, V8, EndToEnd or V8Segmentation, got {(int)Version}.");
            Onnx.DetectorThresholds.Check(ConfidenceThreshold, IouThreshold, MaxDetections);
            if (MultiLabel == true && Version != YoloVersion.V5)
                throw new ArgumentException($"MultiLabel applies to YoloVersion.V5 only, got Version {Version}.", nameof(MultiLabel));
            if (InputSize is <= 0 or > 8192)
                throw new ArgumentOutOfRangeException(nameof(InputSize), InputSize, $"InputSize must be in 1..8192, got {InputSize}.");
            if (BatchSize <= 0)
                throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, $"BatchSize must be at least 1, got {BatchSize}.");
        }
    }
}
