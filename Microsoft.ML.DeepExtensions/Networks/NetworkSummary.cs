using System.Globalization;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Networks;

/// <summary>One layer of a <see cref="NetworkSummary"/>.</summary>
/// <param name="Name">The layer's path in the module tree, e.g. <c>dense0</c> or <c>layers.norm1</c>.</param>
/// <param name="Type">The module type, e.g. <c>Linear</c>.</param>
/// <param name="OutputShape">The layer's output shape for one row (the batch dimension left out).</param>
/// <param name="Parameters">Weights the layer itself owns (trainable or not).</param>
public sealed record LayerSummary(string Name, string Type, IReadOnlyList<long> OutputShape, long Parameters)
{
    /// <summary>Nesting level: 0 for a top-level layer, 1 inside a top-level group, and so on.</summary>
    public int Depth { get; init; }

    /// <summary>
    /// Whether the row stands for a group of layers (a stage, a residual or inception block): its
    /// parameters are those of every layer inside it, whose rows either follow with a greater
    /// <see cref="Depth"/> or are left out to keep deep networks readable.
    /// </summary>
    public bool IsGroup { get; init; }
}

/// <summary>
/// What Keras' <c>model.summary()</c> shows: each layer in the order it runs, its output shape and
/// its parameter count, and the totals. Made by running one zero row through a freshly built
/// network, so the shapes are the real ones rather than computed by a second set of formulas.
/// </summary>
public sealed class NetworkSummary
{
    private NetworkSummary(IReadOnlyList<long> inputShape, IReadOnlyList<LayerSummary> layers, long total, long trainable)
    {
        InputShape = inputShape;
        Layers = layers;
        TotalParameters = total;
        TrainableParameters = trainable;
    }

    /// <summary>Shape of one input row.</summary>
    public IReadOnlyList<long> InputShape { get; }

    /// <summary>
    /// The layers in the order the forward pass runs them: every leaf module for a network summarized
    /// by running it; for networks that describe their own layers (the Vision image networks), groups
    /// with their output shapes followed by what is inside them, blocks as one row each.
    /// </summary>
    public IReadOnlyList<LayerSummary> Layers { get; }

    /// <summary>All weights, including non-trainable buffers such as batch normalization's running statistics.</summary>
    public long TotalParameters { get; }

    /// <summary>Weights the optimizer updates.</summary>
    public long TrainableParameters { get; }

    /// <summary>A summary from rows that a network definition inferred itself, without building the network.</summary>
    internal static NetworkSummary FromLayers(IReadOnlyList<long> inputShape, IReadOnlyList<LayerSummary> layers, long total, long trainable) =>
        new(inputShape.ToArray(), layers.ToArray(), total, trainable);

    /// <summary>Runs one zero row through a freshly built network and records each leaf module's output.</summary>
    internal static NetworkSummary Of(NetworkDefinition definition)
    {
        using var scope = torch.NewDisposeScope();
        using var network = definition.Build();
        network.eval();
        var layers = new List<LayerSummary>();
        foreach (var (name, module) in network.named_modules())
        {
            if (module.named_children().Any() || module is not nn.Module<Tensor, Tensor> layer)
                continue;
            long own = module.named_parameters(recurse: false).Sum(p => p.Item2.numel())
                + module.named_buffers(recurse: false).Where(b => b.Item2.is_floating_point()).Sum(b => b.Item2.numel());
            // The network is thrown away after this one pass, so the hooks need no removal.
            layer.register_forward_hook((_, _, output) =>
            {
                layers.Add(new LayerSummary(name, module.GetType().Name, output.shape.Skip(1).ToArray(), own));
                return output;
            });
        }

        using (torch.no_grad())
        {
            var input = torch.zeros(new long[] { 1 }.Concat(definition.InputShape).ToArray());
            network.forward(input);
        }

        long trainable = network.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        long buffers = network.named_buffers().Where(b => b.Item2.is_floating_point()).Sum(b => b.Item2.numel());
        return new NetworkSummary(definition.InputShape, layers, network.parameters().Sum(p => p.numel()) + buffers, trainable);
    }

    /// <summary>A table: layer, type, output shape, parameters; then the totals.</summary>
    public override string ToString()
    {
        static string Shape(IEnumerable<long> shape) => "(" + string.Join(", ", shape) + ")";
        var culture = CultureInfo.InvariantCulture;
        static string Label(LayerSummary layer) => $"{new string(' ', 2 * layer.Depth)}{layer.Name} ({layer.Type})";
        int nameWidth = Math.Max(12, Layers.Select(l => Label(l).Length).DefaultIfEmpty(0).Max());
        var text = new StringBuilder();
        text.AppendLine(culture, $"{"Layer (type)".PadRight(nameWidth)}  {"Output shape",-20}  {"Param #",12}");
        text.AppendLine(new string('=', nameWidth + 36));
        text.AppendLine(culture, $"{"input".PadRight(nameWidth)}  {Shape(InputShape),-20}  {0,12:N0}");
        foreach (var layer in Layers)
            text.AppendLine(culture, $"{Label(layer).PadRight(nameWidth)}  {Shape(layer.OutputShape),-20}  {layer.Parameters,12:N0}");
        text.AppendLine(new string('=', nameWidth + 36));
        text.AppendLine(culture, $"Total params: {TotalParameters:N0}");
        text.AppendLine(culture, $"Trainable params: {TrainableParameters:N0}");
        text.Append(culture, $"Non-trainable params: {TotalParameters - TrainableParameters:N0}");
        return text.ToString();
    }
}
