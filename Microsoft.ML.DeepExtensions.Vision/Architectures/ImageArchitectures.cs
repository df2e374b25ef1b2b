using System.Collections.Concurrent;
using Microsoft.ML.DeepExtensions.Vision.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Architectures;

/// <summary>
/// Every image architecture by name (<see cref="Get"/>): the built-in ones and those users register
/// with <c>Register</c> to bring their own TorchSharp module or layer description.
/// </summary>
public static class ImageArchitectures
{
    private static readonly ImageArchitecture[] BuiltIn =
    {
        new LeNet5(), new AlexNet(), new Vgg16(batchNormalization: false), new Vgg16(batchNormalization: true),
        new ResNet(18), new ResNet(34), new ResNet(50), new GoogLeNet(), new SmallCnn(),
    };

    private static readonly ConcurrentDictionary<string, ImageArchitecture> Custom = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>LeNet-5: tanh, average pooling, 32×32 inputs (smaller ones zero-padded).</summary>
    public static LeNet5 LeNet5 { get; } = (LeNet5)BuiltIn[0];

    /// <summary>AlexNet, torchvision's single-tower layout.</summary>
    public static AlexNet AlexNet { get; } = (AlexNet)BuiltIn[1];

    /// <summary>VGG-16 (configuration D).</summary>
    public static Vgg16 Vgg16 { get; } = (Vgg16)BuiltIn[2];

    /// <summary>VGG-16 with batch normalization after each convolution.</summary>
    public static Vgg16 Vgg16BatchNorm { get; } = (Vgg16)BuiltIn[3];

    /// <summary>ResNet-18: basic blocks [2, 2, 2, 2].</summary>
    public static ResNet ResNet18 { get; } = (ResNet)BuiltIn[4];

    /// <summary>ResNet-34: basic blocks [3, 4, 6, 3].</summary>
    public static ResNet ResNet34 { get; } = (ResNet)BuiltIn[5];

    /// <summary>ResNet-50: bottleneck blocks [3, 4, 6, 3].</summary>
    public static ResNet ResNet50 { get; } = (ResNet)BuiltIn[6];

    /// <summary>GoogLeNet (Inception v1) without auxiliary classifiers.</summary>
    public static GoogLeNet GoogLeNet { get; } = (GoogLeNet)BuiltIn[7];

    /// <summary>A small modern CNN for 28×28 images such as Fashion-MNIST.</summary>
    public static SmallCnn SmallCnn { get; } = (SmallCnn)BuiltIn[8];

    /// <summary>The built-in names (lenet, alexnet, vgg16, vgg16-bn, resnet18, resnet34, resnet50, googlenet, small-cnn), then the registered ones.</summary>
    public static IReadOnlyList<string> Names =>
        BuiltIn.Select(a => a.Name).Concat(Custom.Keys.Order(StringComparer.OrdinalIgnoreCase)).ToArray();

    /// <summary>The architecture of this name (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No architecture has this name; the message lists the valid ones.</exception>
    public static ImageArchitecture Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Find(name)
            ?? throw new ArgumentException($"Unknown image architecture '{name}'. Valid names: {string.Join(", ", Names)} (or a custom one registered with ImageArchitectures.Register).", nameof(name));
    }

    /// <summary>
    /// Registers a user's own network under <paramref name="name"/>, so that <see cref="Get"/>, the
    /// trainers and the CLI can use it, and so that a model saved with it can be loaded: register the
    /// same factory (by the same name) in the process that loads the model. Registering a name again
    /// replaces its factory.
    /// </summary>
    /// <param name="name">The name saved with models; not one of the built-in names.</param>
    /// <param name="factory">
    /// Creates the module with fresh weights for an input shape <c>[C, H, W]</c> and a class count:
    /// a batch <c>[N, C, H, W]</c> in, one score per class <c>[N, classes]</c> out.
    /// </param>
    /// <exception cref="ArgumentException">The name is empty or built in.</exception>
    public static CustomArchitecture Register(string name, Func<long[], int, nn.Module<Tensor, Tensor>> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return Add(new CustomArchitecture(CheckName(name), factory));
    }

    /// <summary>
    /// Registers a user's own network described with the Vision layers (<c>Layers</c> namespace) under
    /// <paramref name="name"/>: unlike a module factory, it gets the built-in architectures' checks
    /// without building anything (a too-small input is refused naming the layer), their summary,
    /// parameter and multiply-add counts. Registering a name again replaces it; register it in the
    /// process that loads a model saved with it.
    /// </summary>
    /// <param name="name">The name saved with models; not one of the built-in names.</param>
    /// <param name="describe">
    /// The layers for an input shape <c>[C, H, W]</c> and a class count; the last layer must give one
    /// score per class, e.g. <c>new LayerStack { …, { "flatten", new Flatten() }, { "fc", new FullyConnected(classes) } }</c>.
    /// </param>
    /// <exception cref="ArgumentException">The name is empty or built in.</exception>
    public static LayeredArchitecture Register(string name, Func<long[], int, LayerStack> describe)
    {
        ArgumentNullException.ThrowIfNull(describe);
        return Add(new RegisteredLayerArchitecture(CheckName(name), describe));
    }

    private static T Add<T>(T architecture)
        where T : ImageArchitecture
    {
        Custom[architecture.Name] = architecture;
        return architecture;
    }

    private static string CheckName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Trim() != name)
            throw new ArgumentException($"An architecture name must be non-empty without surrounding spaces, got '{name}'.", nameof(name));
        if (BuiltIn.Any(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase)) || string.Equals(name, OnnxBackbone.ArchitectureName, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"'{name}' is a built-in architecture and cannot be registered again; choose another name.", nameof(name));
        return name;
    }

    /// <summary>
    /// A pretrained network from an ONNX file (e.g. the ResNet-18 of the Microsoft.ML.DnnImageFeaturizer.ResNet18
    /// package) as the backbone of an image classifier: its weights start from the file's, a new fully connected
    /// head gives one score per class, and the CNN trainer fine-tunes both inside <c>Fit()</c>.
    /// </summary>
    /// <inheritdoc cref="OnnxBackbone.Load" path="/param"/>
    /// <inheritdoc cref="OnnxBackbone.Load" path="/exception"/>
    public static OnnxBackbone FromOnnx(string path, OnnxBackboneOptions? options = null) => OnnxBackbone.Load(path, options);

    /// <summary>Removes a registered architecture; returns whether it was registered.</summary>
    public static bool Unregister(string name) => Custom.TryRemove(name, out _);

    /// <summary>The architecture a saved model names, or an error saying how to register a custom one.</summary>
    internal static ImageArchitecture ForLoading(string name, BinaryReader reader) =>
        name == OnnxBackbone.ArchitectureName ? OnnxBackbone.Read(reader) : Find(name) ?? throw new InvalidOperationException(
            $"The model was trained with the image architecture '{name}', which is not built in and not registered in this process. " +
            $"Call ImageArchitectures.Register(\"{name}\", (inputShape, classes) => ...) with the factory it was trained with before loading the model.");

    private static ImageArchitecture? Find(string name) =>
        BuiltIn.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? (Custom.TryGetValue(name, out var custom) ? custom : null);
}
