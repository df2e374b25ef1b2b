using Microsoft.ML.DeepExtensions.Networks;
using Microsoft.ML.DeepExtensions.Vision.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Architectures;

/// <summary>
/// An image classifier's network definition: an <see cref="ImageArchitecture"/>, the input shape
/// <c>[C, H, W]</c> and the class count. Saved in model.zip (kind <c>image-classifier</c>) so a loaded
/// model rebuilds the same modules; <see cref="NetworkDefinition.Build"/> creates them with fresh
/// weights: a batch <c>[N, C, H, W]</c> in, one score (logit) per class <c>[N, classes]</c> out.
/// </summary>
/// <remarks>
/// The constructor checks that the architecture accepts the input shape, so a network whose input is
/// too small is refused before any training, with a message naming the layer (built-in architectures
/// check by shape inference, without allocating weights; custom ones run one zero image).
/// </remarks>
public sealed class ImageNetwork : NetworkDefinition
{
    /// <summary>The persistence kind of image classifiers.</summary>
    public const string KindName = "image-classifier";

    private readonly long[] _inputShape;

    /// <param name="architecture">The architecture, e.g. <c>ImageArchitectures.Get("resnet18")</c>.</param>
    /// <param name="inputShape">Shape of one image: <c>[channels, height, width]</c>.</param>
    /// <param name="classes">Number of classes, at least 2.</param>
    /// <exception cref="ArgumentException">The shape is not [C, H, W] with positive sizes, or there are fewer than 2 classes.</exception>
    /// <exception cref="InputShapeException">The input is too small for a layer; the message names the layer and the sizes.</exception>
    public ImageNetwork(ImageArchitecture architecture, long[] inputShape, int classes)
    {
        Architecture = architecture ?? throw new ArgumentNullException(nameof(architecture));
        ImageArchitecture.CheckArguments(inputShape, classes);
        _inputShape = (long[])inputShape.Clone();
        Classes = classes;
        architecture.Validate(_inputShape, classes);
    }

    /// <summary>The architecture the modules are built from.</summary>
    public ImageArchitecture Architecture { get; }

    /// <summary>Number of classes: the network's output size.</summary>
    public int Classes { get; }

    /// <inheritdoc/>
    public override string Kind => KindName;

    /// <summary><c>[channels, height, width]</c> of one image.</summary>
    public override long[] InputShape => (long[])_inputShape.Clone();

    /// <inheritdoc/>
    public override int OutputSize => Classes;

    /// <inheritdoc/>
    /// <remarks>Built-in architectures are summarized from their layer descriptions, without building them.</remarks>
    public override NetworkSummary Summary() => Architecture.Summarize(_inputShape, Classes) ?? base.Summary();

    /// <inheritdoc/>
    protected override nn.Module<Tensor, Tensor> BuildLayers() => Architecture.Create(_inputShape, Classes);

    /// <inheritdoc/>
    protected override void WriteFields(BinaryWriter writer)
    {
        writer.Write(Architecture.Name);
        Architecture.WriteDefinition(writer);
        WriteShape(writer, _inputShape);
        writer.Write(Classes);
    }

    internal static ImageNetwork Read(BinaryReader reader)
    {
        var architecture = ImageArchitectures.ForLoading(reader.ReadString(), reader);
        var shape = ReadShape(reader);
        int classes = reader.ReadInt32();
        return new ImageNetwork(architecture, shape, classes);
    }

    public override string ToString() => $"{Architecture.Name}, {ImageShape.Format(_inputShape)} input, {Classes} classes";
}
