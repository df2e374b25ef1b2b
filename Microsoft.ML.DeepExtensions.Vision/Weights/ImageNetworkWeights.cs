using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Scoring;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Weights;

/// <summary>
/// Moves an image classifier's weights to and from PyTorch: loads a torchvision state dictionary
/// (<c>torch.save</c> or safetensors), or the network of a previous model.zip, into a network built from an
/// <see cref="ImageNetwork"/>, and saves one under torchvision's tensor names so
/// <c>torchvision.models.resnet18(num_classes=N).load_state_dict(torch.load(path))</c> takes it.
/// </summary>
/// <remarks>
/// Names go through <see cref="ImageArchitecture.ToPyTorchName"/> (AlexNet and VGG number their layers in
/// torchvision; ResNet and GoogLeNet already share its names). The classifier (the module holding the network's
/// last parameters) is re-initialized rather than refused when the file has another class count.
/// </remarks>
public static class ImageNetworkWeights
{
    /// <summary>Loads <paramref name="path"/> (a <c>.pt</c>/<c>.pth</c>/<c>.bin</c>/<c>.safetensors</c> file, or a model.zip saved by DeepExtensions) into <paramref name="module"/>.</summary>
    /// <param name="network">The definition <paramref name="module"/> was built from.</param>
    /// <param name="module">What <c>network.Build()</c> gave.</param>
    /// <param name="path">The weight file.</param>
    /// <param name="strict">Refuse the file when a tensor (other than the re-initialized classifier) is missing or unexpected. Defaults to true.</param>
    /// <exception cref="WeightFileException">The file is malformed, or its tensors do not fit; the message names them.</exception>
    public static WeightLoadReport Load(ImageNetwork network, nn.Module module, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(module);
        using var weights = ReadPyTorchNamed(path);
        var target = network.ArchitectureModule(module);
        if (network.Architecture is OnnxBackbone imported)
            imported.ResampleFixedSizeWeights(weights, target, network.Architecture.ToPyTorchName);
        return StateDictLoader.Load(target, weights, network.Architecture.ToPyTorchName, strict, Classifier(target), path);
    }

    /// <summary>Saves <paramref name="module"/>'s weights under torchvision's names, in the format of <paramref name="path"/>'s extension.</summary>
    /// <param name="network">The definition <paramref name="module"/> was built from.</param>
    /// <param name="module">The network's modules (any device).</param>
    /// <param name="path"><c>.pt</c>, <c>.pth</c>, <c>.bin</c> (torch.save's format) or <c>.safetensors</c>.</param>
    public static void Save(ImageNetwork network, nn.Module module, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(module);
        var target = network.ArchitectureModule(module);
        WeightFiles.Write(path, target.state_dict().Select(p => new KeyValuePair<string, Tensor>(network.Architecture.ToPyTorchName(p.Key), p.Value)));
    }

    /// <summary>Saves a trained or imported image classifier's weights under torchvision's names.</summary>
    /// <inheritdoc cref="Save(ImageNetwork, nn.Module, string)"/>
    /// <exception cref="ArgumentException">The model's network is not an image classifier.</exception>
    public static void Save(NetworkPredictionTransformer model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Network is not ImageNetwork network)
            throw new ArgumentException($"Only image classifiers are saved in PyTorch's formats; this model's network is a '{model.Network.Kind}'.", nameof(model));
        Save(network, model.Module, path);
    }

    /// <summary>The tensors of a weight file, or of the image classifier inside a model.zip, under torchvision's names.</summary>
    internal static StateDict ReadPyTorchNamed(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!IsModelZip(path))
            return WeightFiles.Read(path);
        using var model = LoadImageClassifier(path);
        var network = (ImageNetwork)model.Network;
        var result = new StateDict();
        foreach (var (name, tensor) in network.ArchitectureModule(model.Module).state_dict())
            result.Add(network.Architecture.ToPyTorchName(name), tensor.detach().cpu().clone());
        return result;
    }

    /// <summary>
    /// The input normalization the weights of <paramref name="path"/> expect when a model.zip says it (the normalization
    /// it was trained or imported with); null for other files, whose tensors do not record it.
    /// </summary>
    public static ImageNormalization? NormalizationOf(string path)
    {
        if (!IsModelZip(path))
            return null;
        using var model = LoadImageClassifier(path);
        return ((ImageNetwork)model.Network).Normalization;
    }

    /// <summary>
    /// The architecture of the image classifier in a model.zip (e.g. an ONNX network imported by <c>deepext import --onnx</c>),
    /// so that fine-tuning can rebuild the same layers; null for other files.
    /// </summary>
    public static ImageArchitecture? ArchitectureOf(string path)
    {
        if (!IsModelZip(path))
            return null;
        using var model = LoadImageClassifier(path);
        return ((ImageNetwork)model.Network).Architecture;
    }

    private static bool IsModelZip(string path) => Path.GetExtension(path).Equals(".zip", StringComparison.OrdinalIgnoreCase);

    private static NetworkPredictionTransformer LoadImageClassifier(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Weight file '{path}' not found.", path);
        var mlContext = new MLContext();
        mlContext.RegisterDeepExtensions();
        ITransformer loaded;
        try
        {
            loaded = mlContext.Model.Load(path, out _);
        }
        catch (Exception ex) when (ex is InvalidOperationException or InvalidDataException or FormatException)
        {
            throw new WeightFileException(path, null, $"the model.zip cannot be loaded: {ex.Message}", ex);
        }
        if (FindNetwork(loaded) is NetworkPredictionTransformer { Network: ImageNetwork } transformer)
            return transformer;
        (loaded as IDisposable)?.Dispose();
        throw new WeightFileException(path, null, "the model.zip holds no image classifier trained or imported by DeepExtensions.");
    }

    /// <summary>The first DeepExtensions network of a loaded model (a transformer chain's, searched in order), or null.</summary>
    internal static NetworkPredictionTransformer? FindNetwork(ITransformer model) => model switch
    {
        NetworkPredictionTransformer network => network,
        IEnumerable<ITransformer> chain => chain.Select(FindNetwork).FirstOrDefault(t => t is not null),
        _ => null,
    };

    /// <summary>The parameters and buffers of the module holding the network's last parameter: the classifier, sized by the class count.</summary>
    internal static HashSet<string> Classifier(nn.Module module)
    {
        var last = module.named_parameters().Select(p => p.name).LastOrDefault();
        if (last is null)
            return new HashSet<string>();
        string prefix = last.Contains('.') ? last[..(last.LastIndexOf('.') + 1)] : "";
        return module.state_dict().Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && k.IndexOf('.', prefix.Length) < 0).ToHashSet();
    }
}
