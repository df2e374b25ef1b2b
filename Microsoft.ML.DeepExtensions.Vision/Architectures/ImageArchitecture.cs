using Microsoft.ML.DeepExtensions.Networks;
using Microsoft.ML.DeepExtensions.Vision.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Architectures;

/// <summary>
/// A family of image classification networks (LeNet-5, ResNet-18, a user's own module, ...) that can
/// be built for any input shape <c>[C, H, W]</c> and class count: the first layer takes the input's
/// channels and the last layer gives one score (logit, no softmax) per class. Get one by name from
/// <see cref="ImageArchitectures"/>.
/// </summary>
public abstract class ImageArchitecture
{
    private protected ImageArchitecture()
    {
    }

    /// <summary>The registry name, e.g. <c>resnet18</c>; saved with models to rebuild them.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Checks that the architecture accepts <paramref name="inputShape"/> and gives
    /// <paramref name="classes"/> scores, before anything is trained.
    /// </summary>
    /// <exception cref="ArgumentException">The shape or class count is invalid.</exception>
    /// <exception cref="InputShapeException">The input is too small for a layer; the message names the layer.</exception>
    public abstract void Validate(long[] inputShape, int classes);

    /// <summary>
    /// Creates the network with fresh weights: a batch <c>[N, C, H, W]</c> in, scores <c>[N, classes]</c> out.
    /// </summary>
    /// <inheritdoc cref="Validate" path="/exception"/>
    public abstract nn.Module<Tensor, Tensor> Create(long[] inputShape, int classes);

    /// <summary>
    /// The name PyTorch (torchvision) gives the tensor that this architecture's module calls <paramref name="name"/>,
    /// e.g. <c>features.0.weight</c> for AlexNet's <c>features.conv1.weight</c>: the one place where weight files
    /// and DeepExtensions' module names (stored in model.zip, so never renamed) meet. Defaults to the same name
    /// (ResNet, GoogLeNet and custom modules already use torchvision's names).
    /// </summary>
    public virtual string ToPyTorchName(string name) => name;

    /// <summary>The summary inferred without building the network, or null to build it and run one zero image.</summary>
    internal abstract NetworkSummary? Summarize(long[] inputShape, int classes);

    /// <summary>What a saved model needs beyond <see cref="Name"/> to rebuild the architecture (an imported graph); nothing by default.</summary>
    internal virtual void WriteDefinition(BinaryWriter writer)
    {
    }

    public override string ToString() => Name;

    /// <summary>Refuses a shape that is not <c>[C, H, W]</c> with positive sizes, or fewer than 2 classes.</summary>
    internal static void CheckArguments(long[] inputShape, int classes)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Length != 3 || inputShape.Any(d => d <= 0))
            throw new ArgumentException($"InputShape must be [channels, height, width] with positive sizes, got [{string.Join(", ", inputShape)}].", nameof(inputShape));
        if (classes < 2)
            throw new ArgumentOutOfRangeException(nameof(classes), $"Classes must be at least 2, got {classes}.");
    }
}
