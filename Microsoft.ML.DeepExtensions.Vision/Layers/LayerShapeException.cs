namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>
/// Raised by one layer's shape inference to say what it needs ("needs an input of at least 2×2, got
/// 1×1"); the trace that walks the network turns it into an <see cref="InputShapeException"/> that
/// names the layer's path and the network's input.
/// </summary>
internal sealed class LayerShapeException(string problem) : Exception(problem);
