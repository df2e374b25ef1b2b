namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>
/// A network cannot take an input of the given shape: the input is too small for a layer (e.g. a
/// pooling window larger than the feature map that reaches it), or a layer receives a shape it cannot
/// handle. Raised when the network is defined, before any tensor is allocated or training starts.
/// </summary>
/// <remarks>
/// Example: "Layer 'features.pool3' (max pool 2×2, stride 2) needs an input of at least 2×2, got 1×1
/// for a 3×20×20 input image."
/// </remarks>
public sealed class InputShapeException : ArgumentException
{
    internal InputShapeException(string message, string layerPath)
        : base(message) => LayerPath = layerPath;

    /// <summary>The failing layer's path in the module tree, e.g. <c>features.pool3</c>.</summary>
    public string LayerPath { get; }
}
