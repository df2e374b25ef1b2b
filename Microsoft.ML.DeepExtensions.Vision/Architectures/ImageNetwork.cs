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

    /// <summary>
    /// The persistence kind of image classifiers with an input <see cref="Normalization"/>: a kind of its own, so
    /// models saved before normalization existed keep their exact bytes and load as they did.
    /// </summary>
    public const string NormalizedKindName = "image-classifier-normalized";

    /// <summary>The child name of the architecture's module when a normalization module runs before it.</summary>
    internal const string ArchitectureModuleName = "network";

    private readonly long[] _inputShape;

    /// <param name="architecture">The architecture, e.g. <c>ImageArchitectures.Get("resnet18")</c>.</param>
    /// <param name="inputShape">Shape of one image: <c>[channels, height, width]</c>.</param>
    /// <param name="classes">Number of classes, at least 2.</param>
    /// <exception cref="ArgumentException">The shape is not [C, H, W] with positive sizes, or there are fewer than 2 classes.</exception>
    /// <exception cref="InputShapeException">The input is too small for a layer; the message names the layer and the sizes.</exception>
    /// <param name="normalization">The per-channel normalization applied to the [0, 1] pixels before the first layer, stored
    /// with the model (e.g. <see cref="ImageNormalization.ImageNet"/> for torchvision's pretrained weights). Defaults to null (none).</param>
    /// <exception cref="ArgumentException">The normalization's channel count is not the input's.</exception>
    public ImageNetwork(ImageArchitecture architecture, long[] inputShape, int classes, ImageNormalization? normalization)
        : this(architecture, inputShape, classes)
    {
        if (normalization is not null && normalization.Channels != _inputShape[0])
            throw new ArgumentException($"The normalization has {normalization.Channels} channels; the input has {_inputShape[0]}.", nameof(normalization));
        Normalization = normalization;
    }

    /// <inheritdoc cref="ImageNetwork(ImageArchitecture, long[], int, ImageNormalization?)"/>
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

    /// <summary>The normalization applied to the input pixels before the first layer, or null for none.</summary>
    public ImageNormalization? Normalization { get; }

    /// <inheritdoc/>
    public override string Kind => Normalization is null ? KindName : NormalizedKindName;

    /// <summary><c>[channels, height, width]</c> of one image.</summary>
    public override long[] InputShape => (long[])_inputShape.Clone();

    /// <inheritdoc/>
    public override int OutputSize => Classes;

    /// <inheritdoc/>
    /// <remarks>Built-in architectures are summarized from their layer descriptions, without building them.</remarks>
    public override NetworkSummary Summary() => Architecture.Summarize(_inputShape, Classes) ?? base.Summary();

    /// <inheritdoc/>
    /// <remarks>With a <see cref="Normalization"/>, the architecture's module is the child <c>network</c> of a sequence that normalizes first;
    /// <see cref="ArchitectureModule"/> finds it.</remarks>
    protected override nn.Module<Tensor, Tensor> BuildLayers()
    {
        var layers = Architecture.Create(_inputShape, Classes);
        return Normalization is null
            ? layers
            : nn.Sequential(("normalize", Normalization.CreateModule()), (ArchitectureModuleName, layers));
    }

    /// <summary>
    /// The architecture's own module inside what <see cref="NetworkDefinition.Build"/> gave: the tensors there have the
    /// architecture's names (those of <see cref="ImageArchitecture.ToPyTorchName"/>), whatever wraps them.
    /// </summary>
    internal nn.Module ArchitectureModule(nn.Module built) =>
        Normalization is null ? built : built.named_children().Single(c => c.name == ArchitectureModuleName).module;

    /// <inheritdoc/>
    protected override void WriteFields(BinaryWriter writer)
    {
        writer.Write(Architecture.Name);
        Architecture.WriteDefinition(writer);
        WriteShape(writer, _inputShape);
        writer.Write(Classes);
        Normalization?.Write(writer);
    }

    internal static ImageNetwork Read(BinaryReader reader) => Read(reader, normalized: false);

    internal static ImageNetwork ReadNormalized(BinaryReader reader) => Read(reader, normalized: true);

    private static ImageNetwork Read(BinaryReader reader, bool normalized)
    {
        var architecture = ImageArchitectures.ForLoading(reader.ReadString(), reader);
        var shape = ReadShape(reader);
        int classes = reader.ReadInt32();
        var normalization = normalized ? ImageNormalization.Read(reader) : null;
        return new ImageNetwork(architecture, shape, classes, normalization);
    }

    public override string ToString() => $"{Architecture.Name}, {ImageShape.Format(_inputShape)} input, {Classes} classes" +
        (Normalization is null ? "" : $", {Normalization} normalization");
}
