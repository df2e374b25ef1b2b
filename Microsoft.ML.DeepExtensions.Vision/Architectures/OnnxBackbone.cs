using global::Onnx;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Networks;
using Microsoft.ML.DeepExtensions.Weights;
using Microsoft.ML.DeepExtensions.Vision.Layers;
using Microsoft.ML.DeepExtensions.Vision.Onnx;
using Microsoft.ML.DeepExtensions.Vision.Onnx.Import;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Architectures;

/// <summary>
/// A pretrained ONNX network as the backbone of an image classifier (<see cref="ImageArchitectures.FromOnnx"/>):
/// the graph imported as trainable TorchSharp layers (<see cref="OnnxGraphModule"/>) with the file's weights,
/// then a new fully connected head sized for the classes. The CNN trainer fine-tunes all of it inside
/// <c>Fit()</c>, like any other architecture.
/// </summary>
/// <remarks>
/// A saved model keeps the graph's structure (without the file's weights, which its own trained weights
/// replace), so it loads without the ONNX file. A graph exported for a fixed image size (ResNet18.onnx's 224×224,
/// with its 7×7 average pool and its preprocessing's mean image) runs at the size the images have, rewritten by
/// <see cref="InputSizeRetargeting"/>: a whole-map pool becomes the global pool, a constant image is resampled. Whether
/// the graph accepts the size is checked with one zero image before training.
/// </remarks>
public sealed class OnnxBackbone : ImageArchitecture
{
    /// <summary>The name saved with models.</summary>
    public const string ArchitectureName = "onnx";

    private readonly ModelProto _backbone;
    private readonly ModelProto? _preprocessing;
    private readonly bool _hasWeights;
    private readonly string _source;

    private OnnxBackbone(ModelProto backbone, ModelProto? preprocessing, string? featuresOutput, float pixelScale, bool newHead, bool hasWeights, string source)
    {
        if (!float.IsFinite(pixelScale) || pixelScale <= 0)
            throw new ArgumentOutOfRangeException(nameof(pixelScale), $"PixelScale must be positive and finite, got {pixelScale}.");
        _backbone = backbone;
        _preprocessing = preprocessing;
        _hasWeights = hasWeights;
        _source = source;
        PixelScale = pixelScale;
        NewHead = newHead;
        // Imports once now, so that an unsupported operator or a bad tensor is refused when the architecture is made.
        using var probe = OnnxGraphModule.FromModel(backbone, source, featuresOutput, allowMissingData: !hasWeights);
        FeaturesOutputName = probe.OutputName;
        InputShape = probe.InputShape;
        Operators = probe.Operators;
    }

    /// <inheritdoc/>
    public override string Name => ArchitectureName;

    /// <summary>The graph value the head reads.</summary>
    public string FeaturesOutputName { get; }

    /// <summary>The graph input's declared shape (-1 for a symbolic dimension).</summary>
    public IReadOnlyList<long> InputShape { get; }

    /// <summary>The operator of each imported node, in order.</summary>
    public IReadOnlyList<string> Operators { get; }

    /// <summary>Multiplies the [0, 1] pixels before the graphs.</summary>
    public float PixelScale { get; }

    /// <summary>Whether a new fully connected head gives the class scores (otherwise the graph's output does).</summary>
    public bool NewHead { get; }

    /// <param name="path">The backbone's ONNX file.</param>
    /// <param name="options">Features output, preprocessing graph and pixel scale. Defaults to the graph's only output, no preprocessing, scale 1.</param>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="OnnxFormatException">A file is truncated or not ONNX, or holds an unsupported operator (named with its node) or a bad tensor (named).</exception>
    internal static OnnxBackbone Load(string path, OnnxBackboneOptions? options)
    {
        options ??= new OnnxBackboneOptions();
        var preprocessing = options.PreprocessingPath is null ? null : OnnxModelFile.Read(options.PreprocessingPath);
        if (preprocessing is not null)
            OnnxGraphModule.FromModel(preprocessing, $"ONNX file '{options.PreprocessingPath}'", null).Dispose();
        return new OnnxBackbone(OnnxModelFile.Read(path), preprocessing, options.FeaturesOutputName, options.PixelScale, options.NewHead, hasWeights: true, $"ONNX file '{path}'");
    }

    /// <summary>
    /// The same graphs (preprocessing, backbone up to <see cref="FeaturesOutputName"/>) and pixel scale under a new fully
    /// connected head: what fine-tuning an imported network on other classes trains (its weights then come from the
    /// imported model, e.g. <c>CnnTrainer.Options.InitialWeights</c> naming its model.zip). Itself when it has a new head already.
    /// </summary>
    public OnnxBackbone WithNewHead() =>
        NewHead ? this : new OnnxBackbone(_backbone, _preprocessing, FeaturesOutputName, PixelScale, newHead: true, _hasWeights, _source);

    /// <inheritdoc/>
    public override nn.Module<Tensor, Tensor> Create(long[] inputShape, int classes)
    {
        CheckArguments(inputShape, classes);
        TorchBackend.EnsureStarted();
        var preprocessing = _preprocessing is null ? null : OnnxGraphModule.FromModel(AtSizeOf(_preprocessing, inputShape, "the preprocessing graph"), "the preprocessing graph", null, allowMissingData: !_hasWeights);
        var backbone = OnnxGraphModule.FromModel(AtSizeOf(_backbone, inputShape, _source), _source, FeaturesOutputName, allowMissingData: !_hasWeights);
        long features = FeatureCount(inputShape, preprocessing, backbone);
        return new OnnxBackboneNetwork(PixelScale, preprocessing, backbone, NewHead ? nn.Linear(features, classes) : null);
    }

    /// <inheritdoc/>
    public override void Validate(long[] inputShape, int classes)
    {
        using var network = Create(inputShape, classes);
        CustomArchitecture.CheckOutput(Name, network, inputShape, classes);
    }

    internal override NetworkSummary? Summarize(long[] inputShape, int classes) => null;

    /// <summary>The graph rewritten for images of <paramref name="inputShape"/> when it was exported for another fixed size (<see cref="InputSizeRetargeting"/>).</summary>
    private static ModelProto AtSizeOf(ModelProto model, long[] inputShape, string source) =>
        inputShape.Length == 3 ? InputSizeRetargeting.Retarget(model, inputShape[1], inputShape[2], source) : model;

    /// <summary>
    /// Fits weights saved at the graph's declared image size to a network built for another (<see cref="InputSizeRetargeting"/>):
    /// a tensor whose last two dimensions are the declared height and width where the network's has others (the preprocessing's
    /// mean image) is resampled as the retargeted graph's own constant was.
    /// </summary>
    internal void ResampleFixedSizeWeights(StateDict weights, nn.Module target, Func<string, string> fileName)
    {
        if (InputShape.Count != 4 || InputShape[2] <= 0 || InputShape[3] <= 0)
            return;
        foreach (var (name, tensor) in target.state_dict())
        {
            string key = fileName(name);
            if (weights.TryGetValue(key, out var saved) && saved.dim() >= 2 && saved.dim() == tensor.dim() && !saved.shape.SequenceEqual(tensor.shape)
                && saved.shape[^2] == InputShape[2] && saved.shape[^1] == InputShape[3] && saved.shape.SkipLast(2).SequenceEqual(tensor.shape.SkipLast(2)))
            {
                using var scope = torch.NewDisposeScope();
                weights.Replace(key, InputSizeRetargeting.ResamplePlanes(saved, tensor.shape[^2], tensor.shape[^1]).MoveToOuterDisposeScope());
            }
        }
    }

    /// <summary>The size of the flattened features for one image of <paramref name="inputShape"/>.</summary>
    private long FeatureCount(long[] inputShape, OnnxGraphModule? preprocessing, OnnxGraphModule backbone)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var x = torch.zeros(new long[] { 1 }.Concat(inputShape).ToArray());
        try
        {
            if (preprocessing is not null)
            {
                preprocessing.eval();
                x = preprocessing.call(x);
            }
            backbone.eval();
            return backbone.call(x).numel();
        }
        catch (OnnxFormatException e)
        {
            string declared = InputShape.Count == 4 && InputShape.Skip(1).All(d => d > 0) ? $" (it was exported for {ImageShape.Format(InputShape.Skip(1).ToArray())}; at another size its fixed-size pools and constant images are adapted, but its strides must still divide the size, e.g. a multiple of 32 for a ResNet)" : "";
            throw new ArgumentException($"The ONNX backbone ({_source}) does not accept {ImageShape.Format(inputShape)} images{declared}: {e.Message}", nameof(inputShape), e);
        }
    }

    internal override void WriteDefinition(BinaryWriter writer)
    {
        using var backbone = OnnxGraphModule.FromModel(_backbone, _source, FeaturesOutputName, allowMissingData: !_hasWeights);
        OnnxModelFile.WriteEmbedded(writer, backbone.StructureWithoutWeights());
        writer.Write(FeaturesOutputName);
        writer.Write(_preprocessing is not null);
        if (_preprocessing is not null)
        {
            using var preprocessing = OnnxGraphModule.FromModel(_preprocessing, "the preprocessing graph", null, allowMissingData: !_hasWeights);
            OnnxModelFile.WriteEmbedded(writer, preprocessing.StructureWithoutWeights());
        }
        writer.Write(PixelScale);
        writer.Write(NewHead);
        writer.Write(_source);
    }

    internal static OnnxBackbone Read(BinaryReader reader)
    {
        var backbone = OnnxModelFile.ReadEmbedded(reader, "the saved ONNX backbone");
        string features = reader.ReadString();
        var preprocessing = reader.ReadBoolean() ? OnnxModelFile.ReadEmbedded(reader, "the saved preprocessing graph") : null;
        float scale = reader.ReadSingle();
        bool newHead = reader.ReadBoolean();
        string source = reader.ReadString();
        return new OnnxBackbone(backbone, preprocessing, features, scale, newHead, hasWeights: false, source);
    }
}
