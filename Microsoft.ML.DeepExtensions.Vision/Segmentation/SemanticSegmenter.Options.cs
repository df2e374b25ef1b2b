using Microsoft.ML.DeepExtensions.Vision.Onnx;

namespace Microsoft.ML.DeepExtensions.Vision.Segmentation;

public sealed partial class SemanticSegmenter
{
    /// <summary>
    /// Settings of <see cref="SemanticSegmenter"/>; the file (torchvision's FCN, DeepLabV3 or LRASPP exported with an
    /// <c>out</c> output), image column and device are <see cref="OnnxScorerOptions"/>'. <see cref="OnnxScorerOptions.BatchSize"/>
    /// defaults to 4: images per ONNX Runtime call for a model with a fixed input size and a dynamic batch axis; a model whose
    /// height and width are dynamic is given each image at its own size, one per call.
    /// </summary>
    public sealed class Options : OnnxScorerOptions
    {
        /// <summary>The model family, for messages and the saved model. Defaults to <see cref="SemanticSegmentationKind.DeepLabV3"/>.</summary>
        public SemanticSegmentationKind Kind { get; set; } = SemanticSegmentationKind.DeepLabV3;

        /// <summary>The per-pixel class map column: a vector of keys over the class names, row-major over the image's own
        /// width × height. Defaults to <c>PredictedClassMap</c>.</summary>
        public string ClassMapColumnName { get; set; } = DefaultClassMapColumnName;

        /// <summary>An optional column of per-class probability maps (softmax over the classes; a vector of Single holding
        /// one width × height plane per class). Defaults to null: not produced.</summary>
        public string? ProbabilitiesColumnName { get; set; }

        /// <summary>Class names in class-index order. Defaults to null: read from <see cref="ClassNamesFile"/>, else the model's
        /// <c>names</c> metadata, else the 21 PASCAL VOC classes for a 21-class model (torchvision's pretrained weights).</summary>
        public IReadOnlyList<string>? ClassNames { get; set; }

        /// <summary>A text file with one class name per line. Defaults to null.</summary>
        public string? ClassNamesFile { get; set; }

        /// <summary>Per-channel (R, G, B) mean subtracted from the 0..1 pixels. Defaults to ImageNet's (0.485, 0.456, 0.406),
        /// as torchvision's segmentation presets.</summary>
        public float[] Mean { get; set; } = { 0.485f, 0.456f, 0.406f };

        /// <summary>Per-channel (R, G, B) standard deviation the pixels are divided by. Defaults to ImageNet's (0.229, 0.224, 0.225).</summary>
        public float[] StandardDeviation { get; set; } = { 0.229f, 0.224f, 0.225f };

        internal void Check()
        {
            CheckShared();
            if (!Enum.IsDefined(Kind))
                throw new ArgumentOutOfRangeException(nameof(Kind), Kind, $"Kind must be DeepLabV3, Fcn or Lraspp, got {(int)Kind}.");
            if (string.IsNullOrWhiteSpace(ClassMapColumnName))
                throw new ArgumentException("ClassMapColumnName must not be empty.", nameof(ClassMapColumnName));
            if (ProbabilitiesColumnName == ClassMapColumnName)
                throw new ArgumentException($"ProbabilitiesColumnName and ClassMapColumnName must differ, both are '{ClassMapColumnName}'.", nameof(ProbabilitiesColumnName));
            if (Mean is not { Length: 3 } || StandardDeviation is not { Length: 3 })
                throw new ArgumentException($"Mean and StandardDeviation need 3 values (R, G, B), got {Mean?.Length ?? 0} and {StandardDeviation?.Length ?? 0}.");
            if (StandardDeviation.Any(s => !(s > 0)))
                throw new ArgumentOutOfRangeException(nameof(StandardDeviation), $"StandardDeviation values must be positive, got ({string.Join(", ", StandardDeviation)}).");
        }
    }
}
