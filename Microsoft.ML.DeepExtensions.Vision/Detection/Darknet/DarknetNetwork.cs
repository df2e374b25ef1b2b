using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Networks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// A TorchSharp network built from a Darknet cfg: one module per layer section, in <c>layers</c>
/// (state names such as <c>layers.0.conv.weight</c>, <c>layers.0.bn.running_var</c>, <c>layers.14.fc.weight</c>),
/// computing what Darknet computes. <see cref="DarknetWeights"/> reads and writes its weights as Darknet
/// <c>.weights</c> files.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="forward"/> takes a batch <c>[N, C, H, W]</c> of the input size (Darknet feeds RGB in [0, 1], planar)
/// and returns, for a cfg with <c>[yolo]</c> layers, the input of each <c>[yolo]</c> layer in cfg order,
/// <c>[N, A·(5 + classes), H, W]</c> in Darknet's channel layout and without Darknet's logistic function (see
/// <see cref="YoloLayers"/> and <see cref="YoloLayerDecoder"/>); for any other cfg, one tensor <c>[N, outputs]</c>
/// with the last layer's output flattened, Darknet's network output.
/// </para>
/// <para>
/// In evaluation mode batch normalization uses Darknet's formula (see <see cref="DarknetBatchNorm"/>) and dropout is
/// off, so the outputs equal Darknet's to float rounding; in training mode the network is an ordinary PyTorch-style
/// network with batch statistics.
/// </para>
/// </remarks>
public sealed class DarknetNetwork : nn.Module<Tensor, Tensor[]>
{
    private readonly ModuleList<DarknetLayer> _layers;
    private readonly int[] _lastUse;
    private readonly int[] _yoloIndices;

    /// <summary>Builds the network for the input size of the cfg's <c>[net]</c> section.</summary>
    /// <param name="config">The cfg.</param>
    /// <param name="batchNormMomentum">Momentum of the batch normalizations' running statistics while training. Defaults to 0.1 (PyTorch's; Darknet uses 0.01).</param>
    /// <param name="device">Where the weights are created. Defaults to the CPU.</param>
    /// <exception cref="DarknetFormatException">A section is invalid or does not fit its input; the message names the file, the line and the key.</exception>
    public DarknetNetwork(DarknetConfig config, double batchNormMomentum = 0.1, Device? device = null)
        : this(config, new DarknetShape(config.Channels, config.Height, config.Width), batchNormMomentum, device)
    {
    }

    /// <summary>Builds the network for an input of <paramref name="input"/> (channels, height, width), whatever the cfg's <c>[net]</c> says.</summary>
    /// <param name="config">The cfg.</param>
    /// <param name="input">Size of one input image.</param>
    /// <param name="batchNormMomentum">Momentum of the batch normalizations' running statistics while training. Defaults to 0.1 (PyTorch's; Darknet uses 0.01).</param>
    /// <param name="device">Where the weights are created. Defaults to the CPU.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size of <paramref name="input"/> is not positive.</exception>
    /// <exception cref="DarknetFormatException">A section is invalid or does not fit its input; the message names the file, the line and the key.</exception>
    public DarknetNetwork(DarknetConfig config, DarknetShape input, double batchNormMomentum = 0.1, Device? device = null)
        : base("DarknetNetwork")
    {
        ArgumentNullException.ThrowIfNull(config);
        if (input.Channels < 1 || input.Height < 1 || input.Width < 1)
            throw new ArgumentOutOfRangeException(nameof(input), input, "The input's channels, height and width must be positive.");
        TorchBackend.EnsureStarted();
        Config = config;
        InputShape = input;

        var yoloSettings = config.GetYoloLayers().ToDictionary(s => s.LayerIndex);
        var shapes = new List<DarknetShape>();
        var layers = new List<DarknetLayer>();
        var heads = new List<YoloHead>();
        var previous = input;
        for (int i = 0; i < config.Layers.Count; i++)
        {
            var section = config.Layers[i];
            DarknetLayer layer = section.Kind switch
            {
                DarknetLayerKind.Convolutional => new DarknetConvolutionalLayer(i, section, previous, batchNormMomentum, device),
                DarknetLayerKind.Connected => new DarknetConnectedLayer(i, section, previous, batchNormMomentum, device),
                DarknetLayerKind.MaxPool => new DarknetMaxPoolLayer(i, section, previous),
                DarknetLayerKind.AvgPool => new DarknetAvgPoolLayer(i, section, previous),
                DarknetLayerKind.Route => new DarknetRouteLayer(i, section, shapes),
                DarknetLayerKind.Shortcut => new DarknetShortcutLayer(i, section, shapes),
                DarknetLayerKind.Upsample => new DarknetUpsampleLayer(i, section, previous),
                DarknetLayerKind.Yolo => new DarknetYoloLayer(i, section, previous, yoloSettings[i]),
                DarknetLayerKind.Dropout => new DarknetDropoutLayer(i, section, previous),
                DarknetLayerKind.Softmax => new DarknetSoftmaxLayer(i, section, previous),
                DarknetLayerKind.Cost => new DarknetCostLayer(i, section, previous),
                DarknetLayerKind.Crop => new DarknetCropLayer(i, section, previous),
                _ => throw section.Error("cannot be a layer."),
            };
            if (layer is DarknetYoloLayer yolo)
                heads.Add(new YoloHead(yolo.Settings, heads.Count, previous.Height, previous.Width, input.Height, input.Width));
            layers.Add(layer);
            shapes.Add(layer.OutputShape);
            previous = layer.OutputShape;
        }

        Layers = layers;
        YoloLayers = heads;
        _yoloIndices = heads.Select(h => h.LayerIndex).ToArray();

        // The last layer that reads each output, so a forward pass frees outputs as soon as they are spent.
        _lastUse = Enumerable.Range(0, layers.Count).Select(i => i + 1).ToArray();
        foreach (var layer in layers)
        {
            foreach (int source in layer.Sources)
                _lastUse[source] = Math.Max(_lastUse[source], layer.Index);
        }

        _layers = new ModuleList<DarknetLayer>(layers.ToArray());
        register_module("layers", _layers);
    }

    /// <summary>The cfg the network was built from.</summary>
    public DarknetConfig Config { get; }

    /// <summary>Size of one input image.</summary>
    public DarknetShape InputShape { get; }

    /// <summary>The layers in Darknet's order; <c>Layers[i]</c> is the module <c>layers.i</c>.</summary>
    public IReadOnlyList<DarknetLayer> Layers { get; }

    /// <summary>The <c>[yolo]</c> heads in cfg order, one per tensor that <see cref="forward"/> returns; empty for a classifier.</summary>
    public IReadOnlyList<YoloHead> YoloLayers { get; }

    /// <summary>
    /// For a cfg with <c>[yolo]</c> layers, the raw input of each one (<c>[N, A·(5 + classes), H, W]</c>, cfg order);
    /// otherwise one tensor <c>[N, outputs]</c>, the last layer's output flattened.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not <c>[N, C, H, W]</c> of <see cref="InputShape"/>.</exception>
    public override Tensor[] forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 4 || input.shape[1] != InputShape.Channels || input.shape[2] != InputShape.Height || input.shape[3] != InputShape.Width)
        {
            throw new ArgumentException(
                $"The Darknet network {Config.Source} takes [N, {InputShape.Channels}, {InputShape.Height}, {InputShape.Width}] inputs, got [{string.Join(", ", input.shape)}].",
                nameof(input));
        }

        using var scope = torch.NewDisposeScope();
        var outputs = new Tensor?[Layers.Count];
        var x = input;
        for (int i = 0; i < Layers.Count; i++)
        {
            x = Layers[i].Forward(x, outputs);
            outputs[i] = x;
            // Free what no later layer reads (the [yolo] outputs are returned, the last output is the result).
            foreach (int spent in Layers[i].Sources.Append(i - 1))
            {
                if (spent >= 0 && _lastUse[spent] <= i && outputs[spent] is { } tensor && Array.IndexOf(_yoloIndices, spent) < 0)
                {
                    tensor.Dispose();
                    outputs[spent] = null;
                }
            }
        }

        var results = _yoloIndices.Length > 0
            ? _yoloIndices.Select(i => outputs[i]!).ToArray()
            : new[] { x.flatten(1) };
        foreach (var result in results)
            result.MoveToOuterDisposeScope();
        return results;
    }

    /// <summary>Each layer's output shape and parameter count, as Darknet's layer table and Keras' <c>summary()</c> show them.</summary>
    public NetworkSummary Summary()
    {
        var rows = Layers.Select(l => new LayerSummary(
            $"layers.{l.Index}", l.Kind.ToString(), new long[] { l.OutputShape.Channels, l.OutputShape.Height, l.OutputShape.Width }, l.ParameterCount)).ToArray();
        long trainable = parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        long total = rows.Sum(r => r.Parameters);
        return NetworkSummary.FromLayers(new long[] { InputShape.Channels, InputShape.Height, InputShape.Width }, rows, total, trainable);
    }

    public override string ToString() =>
        $"Darknet network {Config.Source}: {Layers.Count} layers, input {InputShape}, {(YoloLayers.Count > 0 ? $"{YoloLayers.Count} YOLO heads" : $"{Layers[^1].OutputShape.Size} outputs")}";
}
