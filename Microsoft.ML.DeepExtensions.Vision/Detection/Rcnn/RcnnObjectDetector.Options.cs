using Microsoft.ML.DeepExtensions.Backend;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Rcnn;

public sealed partial class RcnnObjectDetector
{
    /// <summary>Settings of <see cref="RcnnObjectDetector"/>.</summary>
    public sealed class Options
    {
        /// <summary>The ONNX file (torchvision's model exported with <c>torch.onnx.export</c>, opset 11+). Required.</summary>
        public string ModelPath { get; set; } = "";

        /// <summary>Faster or Mask R-CNN. Defaults to <see cref="RcnnVariant.FasterRcnn"/>. A file of another layout is
        /// refused with a message saying what it looks like.</summary>
        public RcnnVariant Variant { get; set; } = RcnnVariant.FasterRcnn;

        /// <summary>The input image column (an <c>MLImage</c>, from <c>LoadImages</c>). Defaults to <c>Image</c>.</summary>
        public string ImageColumnName { get; set; } = "Image";

        /// <summary>Detections scoring at or below this are dropped (on top of the model's own <c>box_score_thresh</c>,
        /// 0.05 in torchvision). Defaults to 0.5.</summary>
        public float ConfidenceThreshold { get; set; } = 0.5f;

        /// <summary>At most this many detections per image, the highest scores (the model's own
        /// <c>box_detections_per_img</c>, 100 in torchvision, applies first). Defaults to 100.</summary>
        public int MaxDetections { get; set; } = 100;

        /// <summary>Mask R-CNN: a pixel belongs to the object when its mask probability is above this. Defaults to 0.5.</summary>
        public float MaskThreshold { get; set; } = 0.5f;

        /// <summary>Names of the model's labels in label order, index 0 being the background (torchvision's
        /// <c>COCO_V1</c> categories list: <c>__background__</c>, <c>person</c>, ...). Defaults to null: read from
        /// <see cref="ClassNamesFile"/>, else from a <c>names</c> metadata entry; an error when neither has them.</summary>
        public IReadOnlyList<string>? ClassNames { get; set; }

        /// <summary>A text file with one label name per line, line 1 for label 0 (background). Defaults to null.</summary>
        public string? ClassNamesFile { get; set; }

        /// <summary>Rows read ahead per batch in <c>Transform</c> (torchvision's export takes one image per call, so this
        /// only groups the work). Defaults to 4.</summary>
        public int BatchSize { get; set; } = 4;

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

        /// <summary>Mask R-CNN's masks column (each detection's binary mask cropped to its box, see
        /// <see cref="DetectionColumns"/>); not added for Faster R-CNN. Defaults to <c>PredictedMasks</c>.</summary>
        public string PredictedMasksColumnName { get; set; } = DetectionColumns.DefaultPredictedMasksColumnName;

        internal void Check()
        {
            if (string.IsNullOrWhiteSpace(ModelPath))
                throw new ArgumentException("ModelPath must name an ONNX file, got none.", nameof(ModelPath));
            if (!Enum.IsDefined(Variant))
                throw new ArgumentOutOfRangeException(nameof(Variant), Variant, $"Variant must be FasterRcnn or MaskRcnn, got {(int)Variant}.");
            Onnx.DetectorThresholds.Check(ConfidenceThreshold, 0.5f, MaxDetections);
            if (!(MaskThreshold >= 0 && MaskThreshold < 1))
                throw new ArgumentOutOfRangeException(nameof(MaskThreshold), MaskThreshold, $"MaskThreshold must be in [0, 1), got {MaskThreshold}.");
            if (BatchSize <= 0)
                throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, $"BatchSize must be at least 1, got {BatchSize}.");
        }
    }
}
