using System.Collections;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>
/// Named layers applied one after the other (TorchSharp's <c>Sequential</c>): a whole network, or a
/// stage of one such as <c>features</c> or <c>layer2</c>. Each layer's path is the stack's path, a
/// dot and its name (<c>features.conv5</c>), which messages and summaries show.
/// </summary>
/// <remarks>Formula: <c>y = f_n(… f_2(f_1(x)))</c>. Weights: those of its layers.</remarks>
public sealed class LayerStack : Layer, IEnumerable<(string Name, Layer Layer)>
{
    private readonly List<(string Name, Layer Layer)> _layers = new();

    /// <param name="layers">The layers in order, each with a name unique in the stack, without dots.</param>
    public LayerStack(params (string Name, Layer Layer)[] layers)
        : this((IEnumerable<(string, Layer)>)layers)
    {
    }

    /// <param name="layers">The layers in order, each with a name unique in the stack, without dots.</param>
    public LayerStack(IEnumerable<(string Name, Layer Layer)> layers)
    {
        foreach (var (name, layer) in layers)
            Add(name, layer);
    }

    /// <summary>
    /// What summaries call the stack. Defaults to <c>Sequential</c>; architectures name their building
    /// blocks, e.g. GoogLeNet's <c>BasicConv2d</c> (convolution, batch normalization, ReLU).
    /// </summary>
    public string Kind { get; init; } = "Sequential";

    /// <summary>
    /// Whether summaries show the stack as one row (with its output shape and parameters) instead of
    /// listing its layers. Defaults to false.
    /// </summary>
    public bool ShowAsOneRow { get; init; }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<(string Name, Layer Layer)> Layers => _layers;

    /// <inheritdoc/>
    public override string Description => $"{Kind} of {_layers.Count} layers";

    private protected override string TypeName => Kind;

    /// <summary>Appends a layer (collection initializer syntax: <c>new LayerStack { { "conv1", conv } }</c>).</summary>
    /// <exception cref="ArgumentException">The name is empty, has a dot, or is already used in this stack.</exception>
    public void Add(string name, Layer layer)
    {
        CheckName(name, _layers.Select(l => l.Name));
        _layers.Add((name, layer ?? throw new ArgumentNullException(nameof(layer))));
    }

    internal static void CheckName(string name, IEnumerable<string> taken)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Contains('.'))
            throw new ArgumentException($"A layer name must be non-empty and without dots, got '{name}'.", nameof(name));
        if (taken.Contains(name, StringComparer.Ordinal))
            throw new ArgumentException($"The layer name '{name}' is used twice in one stack.", nameof(name));
    }

    internal override long[] Trace(ShapeTrace trace, string path, long[] input, int depth)
    {
        var group = trace.BeginGroup(path, Kind, depth, ShowAsOneRow);
        var shape = TraceLayers(trace, path, input, depth);
        trace.EndGroup(group, shape);
        return shape;
    }

    /// <summary>Traces the layers as children of <paramref name="path"/> (residual blocks put them directly under themselves).</summary>
    internal long[] TraceLayers(ShapeTrace trace, string path, long[] input, int depth)
    {
        var shape = input;
        foreach (var (name, layer) in _layers)
            shape = layer.Trace(trace, ChildPath(path, name), shape, depth + 1);
        return shape;
    }

    /// <summary>Each layer's module, created for the shape that reaches it.</summary>
    internal List<(string Name, nn.Module<Tensor, Tensor> Module)> CreateModules(long[] input, Device? device)
    {
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        var shape = input;
        foreach (var (name, layer) in _layers)
        {
            modules.Add((name, layer.CreateModule(shape, device)));
            shape = layer.OutputShape(shape);
        }
        return modules;
    }

    internal override nn.Module<Tensor, Tensor> CreateModule(long[] input, Device? device) => nn.Sequential(CreateModules(input, device));

    public IEnumerator<(string Name, Layer Layer)> GetEnumerator() => _layers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
