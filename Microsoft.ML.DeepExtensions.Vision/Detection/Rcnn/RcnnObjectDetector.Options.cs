using Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Rcnn;

public sealed partial class RcnnObjectDetector
{
    /// <summary>
    /// Settings of <see cref="RcnnObjectDetector"/>; the file (torchvision's model exported with <c>torch.onnx.export</c>,
    /// opset 11+), image column, device and output columns are <see cref="OnnxDetectorOptions"/>'. <see cref="Vision.Onnx.OnnxScorerOptions.BatchSize"/>
    /// defaults to 4: torchvision's export takes one image per call, so it only groups the work.
    /// </summary>
    public sealed class Options : OnnxDetectorOptions
    {
        /// <summary>Faster or Mask R-CNN. Defaults to <see cref="RcnnVariant.FasterRcnn"/>. A file of another layout is
        /// refused with a message saying what it looks like.</summary>
        public RcnnVariant Variant { get; set; } = RcnnVariant.FasterRcnn;

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

        internal void Check()
        {
            CheckShared();
            if (!Enum.IsDefined(Variant))
                throw new ArgumentOutOfRangeException(nameof(Variant), Variant, $"Variant must be FasterRcnn or MaskRcnn, got {(int)Variant}.");
            Onnx.DetectorThresholds.Check(ConfidenceThreshold, 0.5f, MaxDetections);
            if (!(MaskThreshold >= 0 && MaskThreshold < 1))
                throw new ArgumentOutOfRangeException(nameof(MaskThreshold), MaskThreshold, $"MaskThreshold must be in [0, 1), got {MaskThreshold}.");
        }
    }
}
