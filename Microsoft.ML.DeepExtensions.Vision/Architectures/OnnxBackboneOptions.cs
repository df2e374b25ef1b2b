namespace Microsoft.ML.DeepExtensions.Vision.Architectures;

/// <summary>How <see cref="ImageArchitectures.FromOnnx"/> puts an ONNX network in front of a new classifier head.</summary>
public sealed class OnnxBackboneOptions
{
    /// <summary>
    /// The value of the graph that holds the features (e.g. <c>Pooling395_Output_0</c>, ResNet-18's 512
    /// pooled features); the head flattens it. Defaults to null: the graph's only output.
    /// </summary>
    public string? FeaturesOutputName { get; init; }

    /// <summary>
    /// An ONNX graph that prepares the pixels the way the backbone was trained (e.g. the package's
    /// <c>ResNetPreprocess.onnx</c>: RGB to BGR, minus the ImageNet mean image); kept fixed while
    /// fine-tuning. Defaults to null: none.
    /// </summary>
    public string? PreprocessingPath { get; init; }

    /// <summary>
    /// Multiplies the trainer's pixels (in [0, 1]) before the preprocessing and backbone, e.g. 255 for a
    /// network trained on 0..255 pixels such as the ResNet18 package's. Defaults to 1.
    /// </summary>
    public float PixelScale { get; init; } = 1;

    /// <summary>
    /// Whether a new fully connected head (fresh weights) maps the features to the classes. False uses the
    /// graph's output (<see cref="FeaturesOutputName"/>) as the class scores: a complete pretrained classifier,
    /// which must then give one logit per class. Defaults to true.
    /// </summary>
    public bool NewHead { get; init; } = true;
}
