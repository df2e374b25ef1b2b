using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>
/// A layer of an image network, described by its hyperparameters only (like Keras layers): its input
/// size is inferred from the shape that reaches it, so the same description fits any input channels
/// and sizes. <see cref="OutputShape"/> infers shapes and refuses an input that is too small,
/// naming the layer, without allocating any tensor; <see cref="Build"/> creates the TorchSharp module.
/// </summary>
/// <remarks>
/// Shapes are per example, without the batch dimension: <c>[C, H, W]</c> for images and
/// <c>[features]</c> after <see cref="Flatten"/> or <see cref="GlobalAveragePooling"/>.
/// </remarks>
public abstract class Layer
{
    private protected Layer()
    {
    }

    /// <summary>A short description for messages and summaries, e.g. <c>max pool 2×2, stride 2</c>.</summary>
    public abstract string Description { get; }

    /// <summary>The shape this layer gives for one example of shape <paramref name="inputShape"/>.</summary>
    /// <exception cref="InputShapeException">The input is too small or of the wrong rank for this layer (or one inside it).</exception>
    public long[] OutputShape(long[] inputShape) => Trace(new ShapeTrace(inputShape), "", inputShape, 0);

    /// <summary>Checks <paramref name="inputShape"/> (see <see cref="OutputShape"/>), then creates the module with fresh weights.</summary>
    /// <param name="inputShape">Shape of one example, e.g. <c>[3, 224, 224]</c>.</param>
    /// <param name="device">Where the weights live. Defaults to the CPU; <c>meta</c> creates shapes without memory.</param>
    public nn.Module<Tensor, Tensor> Build(long[] inputShape, Device? device = null)
    {
        OutputShape(inputShape);
        return CreateModule(inputShape, device);
    }

    /// <summary>
    /// Infers the output shape at <paramref name="path"/> for <paramref name="input"/>, adding rows and
    /// parameter counts to <paramref name="trace"/>. Leaves use their <see cref="LeafOutputShape"/>;
    /// containers override this to walk their children.
    /// </summary>
    internal virtual long[] Trace(ShapeTrace trace, string path, long[] input, int depth)
    {
        long[] output;
        try
        {
            output = LeafOutputShape(input);
        }
        catch (LayerShapeException e)
        {
            throw trace.Refuse(path, this, e.Message);
        }
        var (trainable, buffers) = LeafParameters(input);
        trace.AddLeaf(path, TypeName, output, trainable, buffers, LeafMultiplyAdds(input, output), depth);
        return output;
    }

    /// <summary>The type shown in summaries; the class name unless a layer says better.</summary>
    private protected virtual string TypeName => GetType().Name;

    /// <summary>The path of a child layer: <c>parent.child</c>, or <c>child</c> at the root.</summary>
    private protected static string ChildPath(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    /// <summary>Creates the module for an input already checked by <see cref="Trace"/>.</summary>
    internal abstract nn.Module<Tensor, Tensor> CreateModule(long[] input, Device? device);

    /// <summary>A leaf's output shape; throws <see cref="LayerShapeException"/> saying what it needs.</summary>
    private protected virtual long[] LeafOutputShape(long[] input) =>
        throw new InvalidOperationException($"{GetType().Name} is a container and must override Trace.");

    /// <summary>A leaf's trainable weights and floating-point buffers (running statistics).</summary>
    private protected virtual (long Trainable, long Buffers) LeafParameters(long[] input) => (0, 0);

    /// <summary>A leaf's multiply-adds for one example (convolutions and fully connected layers).</summary>
    private protected virtual long LeafMultiplyAdds(long[] input, long[] output) => 0;

    public override string ToString() => Description;
}
