using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// The project's <see cref="ResNet"/> without its classifier (<c>avgpool</c>, <c>fc</c>), returning the maps of chosen
/// stages (torchvision's <c>IntermediateLayerGetter</c> over a ResNet): a detector's feature extractor.
/// </summary>
/// <remarks>Module names are the ResNet's (<c>conv1</c>, <c>bn1</c>, <c>layer1.0.conv1</c>, …), so under a backbone
/// named <c>backbone.body</c> they are torchvision's. Stage strides: <c>layer1</c> 4, <c>layer2</c> 8, <c>layer3</c> 16,
/// <c>layer4</c> 32.</remarks>
public sealed class ResNetBody : nn.Module<Tensor, Tensor[]>
{
    private static readonly string[] Stages = { "layer1", "layer2", "layer3", "layer4" };
    private readonly (string Name, nn.Module<Tensor, Tensor> Module)[] _layers;
    private readonly string[] _returned;

    /// <param name="depth">ResNet depth: 18, 34, 50, 101 or 152.</param>
    /// <param name="returnedStages">The stages whose maps are returned, in network order, e.g. <c>layer1</c> … <c>layer4</c> for an FPN.</param>
    /// <param name="device">Where the weights live. Defaults to the CPU.</param>
    public ResNetBody(int depth, IReadOnlyList<string> returnedStages, Device? device = null) : base(nameof(ResNetBody))
    {
        ArgumentNullException.ThrowIfNull(returnedStages);
        if (returnedStages.Count == 0 || returnedStages.Any(s => !Stages.Contains(s)) || returnedStages.Distinct().Count() != returnedStages.Count
            || !returnedStages.SequenceEqual(returnedStages.OrderBy(s => s, StringComparer.Ordinal)))
            throw new ArgumentException($"returnedStages must be distinct stages among {string.Join(", ", Stages)} in network order, got [{string.Join(", ", returnedStages)}].", nameof(returnedStages));
        TorchBackend.EnsureStarted();
        var inputShape = new long[] { 3, 224, 224 };
        var layers = new ResNet(depth).Layers(inputShape, 1000).Layers.TakeWhile(l => l.Name != "avgpool").ToList();
        int last = layers.FindIndex(l => l.Name == returnedStages[^1]);
        var kept = new LayerStack(layers.Take(last + 1));
        var channels = new List<int>();
        var shape = inputShape;
        foreach (var (name, layer) in kept)
        {
            shape = layer.OutputShape(shape);
            if (returnedStages.Contains(name))
                channels.Add((int)shape[0]);
        }
        _layers = kept.CreateModules(inputShape, device).ToArray();
        foreach (var (name, module) in _layers)
            register_module(name, module);
        _returned = returnedStages.ToArray();
        OutChannels = channels;
        Depth = depth;
    }

    /// <summary>ResNet depth.</summary>
    public int Depth { get; }

    /// <summary>The returned stages, in network order.</summary>
    public IReadOnlyList<string> ReturnedStages => _returned;

    /// <summary>Channels of each returned map (64, 128, 256, 512 for ResNet-18 and -34; four times that from ResNet-50).</summary>
    public IReadOnlyList<int> OutChannels { get; }

    /// <summary>The maps of <see cref="ReturnedStages"/> for <c>[N, 3, H, W]</c> normalized images.</summary>
    public override Tensor[] forward(Tensor images)
    {
        var outputs = new List<Tensor>(_returned.Length);
        var x = images;
        foreach (var (name, module) in _layers)
        {
            x = module.call(x);
            if (Array.IndexOf(_returned, name) >= 0)
                outputs.Add(x);
        }
        return outputs.ToArray();
    }

    /// <summary>Children are registered by name in the constructor (torchvision's names); TorchSharp must not add the fields again under their C# names.</summary>
    protected override void RegisterComponents()
    {
    }
}
