using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Layers;
using Microsoft.ML.DeepExtensions.Vision.Weights;
using Microsoft.ML.DeepExtensions.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;

/// <summary>
/// The CNN of R-CNN: an image classifier of the project (<see cref="ImageNetwork"/>, any <see cref="ImageArchitecture"/>)
/// over warped regions, with one output per object class plus background (index 0) for fine-tuning, whose
/// <see cref="Features"/> are the input of its classifier layer (the paper's fc7 for AlexNet: the layer the SVMs and box
/// regressors read).
/// </summary>
/// <remarks>The features are caught by a forward pre-hook on the classifier (the module holding the network's last
/// parameters, as <c>ImageNetworkWeights</c> finds it), so every architecture works unchanged.</remarks>
internal sealed class RegionFeatureNetwork : IDisposable
{
    private readonly object _gate = new();
    private Tensor? _classifierInput;

    private RegionFeatureNetwork(ImageNetwork definition, nn.Module<Tensor, Tensor> module)
    {
        Definition = definition;
        Module = module;
        var target = definition.ArchitectureModule(module);
        var last = target.named_parameters().Select(p => p.name).Last();
        string classifierName = last.Contains('.') ? last[..last.LastIndexOf('.')] : "";
        var classifier = target.named_modules().Single(m => m.name == classifierName).module as nn.Module<Tensor, Tensor>
            ?? throw new InvalidOperationException($"The classifier '{classifierName}' of backbone '{definition.Architecture.Name}' is not a one-tensor module.");
        classifier.register_forward_pre_hook((_, input) =>
        {
            // A handle of its own: TorchSharp's Sequential disposes the intermediate tensors' handles after the pass.
            _classifierInput = input.alias();
            return input;
        });
        // One zero region through the network in evaluation mode (batch normalization cannot train on one row) gives the size.
        bool training = module.training;
        module.eval();
        using (var scope = torch.NewDisposeScope())
        using (torch.no_grad())
        {
            var device = module.parameters().First().device;
            FeatureSize = (int)FeaturesOf(torch.zeros(new long[] { 1 }.Concat(definition.InputShape).ToArray(), device: device)).shape[1];
        }
        if (training)
            module.train();
    }

    /// <summary>The classifier's definition (architecture, <c>[3, W, W]</c> input, classes + 1 outputs).</summary>
    public ImageNetwork Definition { get; }

    /// <summary>The modules: warped regions in, class scores (background first) out.</summary>
    public nn.Module<Tensor, Tensor> Module { get; }

    /// <summary>Values per region feature vector.</summary>
    public int FeatureSize { get; }

    /// <summary>Creates the network for <paramref name="warpSize"/> regions and <paramref name="classCount"/> object classes.</summary>
    /// <param name="architecture">The backbone.</param>
    /// <param name="warpSize">The warped regions' side.</param>
    /// <param name="classCount">Object classes (the network has one more output, background).</param>
    /// <param name="initialWeights">Weights to load (a classifier's model.zip or a PyTorch file), or null.</param>
    /// <param name="report">Receives what loading the weights did.</param>
    /// <exception cref="ArgumentException">The backbone does not accept <paramref name="warpSize"/> regions, or the weights do not fit it.</exception>
    public static RegionFeatureNetwork Create(ImageArchitecture architecture, int warpSize, int classCount, string? initialWeights, Action<string> report)
    {
        ImageNetwork definition;
        try
        {
            definition = new ImageNetwork(architecture, new long[] { 3, warpSize, warpSize }, classCount + 1);
        }
        catch (Exception ex) when (ex is InputShapeException or ArgumentException or InvalidOperationException)
        {
            throw new ArgumentOutOfRangeException("WarpSize",
                $"Backbone '{architecture.Name}' does not fit WarpSize {warpSize}: the regions are warped to 3x{warpSize}x{warpSize} and {ex.Message} Raise WarpSize or choose a backbone for small inputs (small-cnn).");
        }
        var module = definition.Build();
        try
        {
            if (initialWeights is not null)
            {
                try
                {
                    report($"Initial backbone weights from '{initialWeights}': {ImageNetworkWeights.Load(definition, module, initialWeights)}");
                }
                catch (WeightFileException ex)
                {
                    throw new ArgumentException(
                        $"InitialWeights '{initialWeights}' do not fit backbone '{architecture.Name}' at WarpSize {warpSize} (3x{warpSize}x{warpSize} regions): {ex.Message} Set Backbone to the weights' architecture and WarpSize to the side they were trained at.",
                        "InitialWeights", ex);
                }
            }
            return new RegionFeatureNetwork(definition, module);
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>Rebuilds a saved network (see <see cref="Save"/>).</summary>
    public static RegionFeatureNetwork Load(BinaryReader reader, Device device)
    {
        var definition = Microsoft.ML.DeepExtensions.Networks.NetworkDefinition.Load(reader) as ImageNetwork
            ?? throw new InvalidDataException("Corrupt R-CNN model: its backbone is not an image classifier network.");
        var module = definition.Build();
        try
        {
            module.load(reader);
            module.to(device);
            module.eval();
            return new RegionFeatureNetwork(definition, module);
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>Writes the definition and the weights.</summary>
    public void Save(BinaryWriter writer)
    {
        Definition.Save(writer);
        Module.save(writer);
    }

    /// <summary>Feature vectors of warped regions (the module in evaluation mode, no gradients wanted).</summary>
    /// <param name="regions"><c>[K, 3, W, W]</c> RGB in [0, 1].</param>
    /// <returns><c>[K, FeatureSize]</c>.</returns>
    public Tensor Features(Tensor regions)
    {
        // The hook hands the features over through a field: one pass at a time (scoring batches may run on several threads).
        lock (_gate)
            return FeaturesOf(regions);
    }

    private Tensor FeaturesOf(Tensor regions)
    {
        _classifierInput = null;
        Module.forward(regions);
        var features = _classifierInput ?? throw new InvalidOperationException($"Backbone '{Definition.Architecture.Name}' did not run its classifier.");
        _classifierInput = null;
        return features.flatten(1);
    }

    public void Dispose() => Module.Dispose();
}
