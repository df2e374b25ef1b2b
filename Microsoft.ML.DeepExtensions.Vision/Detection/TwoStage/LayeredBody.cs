using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// A detector's feature extractor made of one of the project's architectures cut into named stages (torchvision's
/// <c>IntermediateLayerGetter</c>): the stages run in order up to the last returned one, and the maps of the returned
/// stages come out, finest first. <see cref="ResNetBody"/> and <see cref="VggBody"/> are its two cuts.
/// </summary>
public abstract class LayeredBody : nn.Module<Tensor, Tensor[]>
{
    private readonly (string Name, nn.Module<Tensor, Tensor> Module)[] _layers;
    private readonly string[] _returned;

    /// <param name="name">The module's name.</param>
    /// <param name="layers">The architecture's layers in order, each top-level one named (no dots).</param>
    /// <param name="stages">The names among <paramref name="layers"/> whose outputs may be returned, in network order.</param>
    /// <param name="returnedStages">The stages whose maps are returned, distinct and in network order.</param>
    /// <param name="device">Where the weights live. Defaults to the CPU.</param>
    private protected LayeredBody(string name, IReadOnlyList<(string Name, Layer Layer)> layers, IReadOnlyList<string> stages,
        IReadOnlyList<string> returnedStages, Device? device) : base(name)
    {
        ArgumentNullException.ThrowIfNull(returnedStages);
        if (returnedStages.Count == 0 || returnedStages.Any(s => !stages.Contains(s)) || returnedStages.Distinct().Count() != returnedStages.Count
            || !returnedStages.SequenceEqual(returnedStages.OrderBy(s => stages.ToList().IndexOf(s))))
            throw new ArgumentException($"returnedStages must be distinct stages among {string.Join(", ", stages)} in network order, got [{string.Join(", ", returnedStages)}].", nameof(returnedStages));
        TorchBackend.EnsureStarted();
        // The modules' shapes only depend on the channels, so any image size that reaches every stage describes them.
        var inputShape = new long[] { 3, 224, 224 };
        int last = layers.ToList().FindIndex(l => l.Name == returnedStages[^1]);
        var kept = new LayerStack(layers.Take(last + 1));
        var channels = new List<int>();
        var shape = inputShape;
        foreach (var (layerName, layer) in kept)
        {
            shape = layer.OutputShape(shape);
            if (returnedStages.Contains(layerName))
                channels.Add((int)shape[0]);
        }
        _layers = kept.CreateModules(inputShape, device).ToArray();
        foreach (var (layerName, module) in _layers)
            register_module(layerName, module);
        _returned = returnedStages.ToArray();
        OutChannels = channels;
    }

    /// <summary>The returned stages, in network order.</summary>
    public IReadOnlyList<string> ReturnedStages => _returned;

    /// <summary>Channels of each returned map.</summary>
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

    /// <summary>Children are registered by name in the constructor; TorchSharp must not add the fields again under their C# names.</summary>
    protected override void RegisterComponents()
    {
    }
}
