using Microsoft.ML.DeepExtensions.Networks;
using Microsoft.ML.DeepExtensions.Vision.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Architectures;

/// <summary>
/// An architecture described by <see cref="Layer"/>s (every built-in one): shapes, parameter counts,
/// multiply-adds, the too-small-input check and the summary all come from shape inference over the
/// layer descriptions, without allocating a weight.
/// </summary>
public abstract class LayeredArchitecture : ImageArchitecture
{
    private protected LayeredArchitecture()
    {
    }

    /// <summary>The layer tree for this input shape and class count, with torchvision-like names.</summary>
    /// <exception cref="ArgumentException">The shape or class count is invalid.</exception>
    public LayerStack Layers(long[] inputShape, int classes)
    {
        CheckArguments(inputShape, classes);
        return DescribeLayers(inputShape, classes);
    }

    /// <inheritdoc/>
    public override void Validate(long[] inputShape, int classes) => Trace(inputShape, classes);

    /// <inheritdoc/>
    public override nn.Module<Tensor, Tensor> Create(long[] inputShape, int classes) => Create(inputShape, classes, null);

    /// <summary>Creates the network on <paramref name="device"/> (<c>meta</c>: shapes only, no memory).</summary>
    /// <inheritdoc cref="ImageArchitecture.Validate" path="/exception"/>
    public nn.Module<Tensor, Tensor> Create(long[] inputShape, int classes, Device? device)
    {
        Trace(inputShape, classes);
        return Layers(inputShape, classes).CreateModule(inputShape, device);
    }

    /// <summary>Trainable weights of the network for this shape and class count (what PyTorch's <c>parameters()</c> counts).</summary>
    public long TrainableParameters(long[] inputShape, int classes) => Trace(inputShape, classes).TrainableParameters;

    /// <summary>Multiply-adds of the convolutions and fully connected layers for one image.</summary>
    public long MultiplyAdds(long[] inputShape, int classes) => Trace(inputShape, classes).MultiplyAdds;

    internal override NetworkSummary Summarize(long[] inputShape, int classes)
    {
        var trace = Trace(inputShape, classes);
        return NetworkSummary.FromLayers(inputShape, trace.Rows, trace.TrainableParameters + trace.Buffers, trace.TrainableParameters);
    }

    /// <summary>The layers; arguments already checked.</summary>
    private protected abstract LayerStack DescribeLayers(long[] inputShape, int classes);

    private ShapeTrace Trace(long[] inputShape, int classes)
    {
        var layers = Layers(inputShape, classes);
        var trace = new ShapeTrace(inputShape);
        var output = layers.Trace(trace, "", inputShape, 0);
        if (output.Length != 1 || output[0] != classes)
            throw new InvalidOperationException($"Architecture '{Name}' gives {ImageShape.Tuple(output)} per image, not one score per class ({classes}).");
        return trace;
    }
}
