using Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Export;

/// <summary>
/// Writes the layers of a <see cref="DarknetNetwork"/> (those of the YOLOv3 family: convolutional, maxpool, route,
/// shortcut, upsample, yolo, dropout) as ONNX nodes that compute what the network computes in evaluation mode.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>[convolutional]</c>: one <c>Conv</c> with Darknet's batch normalization folded in,
/// <c>W' = W·s</c>, <c>b' = β - μ·s</c> with <c>s = γ / (√σ² + 1e-6)</c> (Darknet's formula, see
/// <see cref="DarknetBatchNorm"/>; folded in double precision), then the activation.</item>
/// <item><c>[maxpool]</c>: <c>MaxPool</c> with Darknet's asymmetric padding (<c>padding/2</c> before, the rest after;
/// padded cells never win, as ONNX's MaxPool ignores its pads), so YOLOv3-tiny's <c>size=2 stride=1</c> pooling gets
/// pads 0 before and 1 after; where Darknet's geometry drops trailing rows or columns, a <c>Slice</c> crops them first.</item>
/// <item><c>[route]</c>: <c>Concat</c> on the channels (with <c>groups</c>, a <c>Slice</c> of each source);
/// <c>[shortcut]</c>: <c>alpha·x + beta·from</c> with <c>Mul</c>/<c>Add</c>, then the activation;
/// <c>[upsample]</c>: nearest <c>Resize</c> (asymmetric, floor: PyTorch's nearest); <c>[yolo]</c> and
/// <c>[dropout]</c>: the identity.</item>
/// </list>
/// Any other layer (or activation) has no mapping here and is refused with an <see cref="OnnxFormatException"/>
/// naming the layer, its cfg line and the rule.
/// </remarks>
internal sealed class DarknetLayerOnnxWriter
{
    private readonly OnnxGraphBuilder _builder;
    private readonly DarknetNetwork _network;

    public DarknetLayerOnnxWriter(OnnxGraphBuilder builder, DarknetNetwork network)
    {
        _builder = builder;
        _network = network;
    }

    /// <summary>Writes every layer reading <paramref name="input"/>; returns the value of each <c>[yolo]</c> layer's input, in <see cref="DarknetNetwork.YoloLayers"/> order.</summary>
    /// <exception cref="OnnxFormatException">A layer or activation has no ONNX mapping; the message names it.</exception>
    public IReadOnlyList<string> Write(string input)
    {
        var layers = _network.Layers;
        var outputs = new string[layers.Count];
        var yolo = new List<string>();
        string x = input;
        var shape = _network.InputShape;
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            x = layer switch
            {
                DarknetConvolutionalLayer convolution => Convolution(convolution, x),
                DarknetMaxPoolLayer pool => MaxPool(pool, x, shape),
                DarknetRouteLayer route => Route(route, outputs),
                DarknetShortcutLayer shortcut => Shortcut(shortcut, x, outputs),
                DarknetUpsampleLayer upsample => Upsample(upsample, x),
                DarknetYoloLayer => x,
                DarknetDropoutLayer => x, // the identity when scoring
                _ => throw Unsupported(layer, $"the exporter maps the layers of the YOLOv3 family (convolutional, maxpool, route, shortcut, upsample, yolo, dropout), not {layer.Section.Header}"),
            };
            outputs[i] = x;
            if (layer is DarknetYoloLayer)
                yolo.Add(x);
            shape = layer.OutputShape;
        }
        return yolo;
    }

    private string Convolution(DarknetConvolutionalLayer layer, string input)
    {
        string name = Name(layer);
        var (weight, bias) = FoldedWeights(layer);
        string y = _builder.Node("Conv", name, new[] { input, _builder.Initializer($"{name}.weight", weight), _builder.Initializer($"{name}.bias", bias) },
            ("kernel_shape", new long[] { layer.Size, layer.Size }),
            ("strides", new long[] { layer.Stride, layer.Stride }),
            ("pads", new long[] { layer.Padding, layer.Padding, layer.Padding, layer.Padding }),
            ("group", (long)layer.Groups));
        weight.Dispose();
        bias.Dispose();
        return Activation(layer, layer.ActivationName, y);
    }

    /// <summary>The convolution's weight and bias with the batch normalization (Darknet's formula) folded in.</summary>
    private static (Tensor Weight, Tensor Bias) FoldedWeights(DarknetConvolutionalLayer layer)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var weight = layer.Convolution.weight!.detach().cpu().to_type(ScalarType.Float64);
        Tensor bias;
        if (layer.BatchNorm is { } bn)
        {
            var scale = bn.Weight.detach().cpu().to_type(ScalarType.Float64)
                .div(bn.RunningVariance.detach().cpu().to_type(ScalarType.Float64).sqrt().add(DarknetBatchNorm.DarknetEpsilon));
            weight = weight.mul(scale.view(-1, 1, 1, 1));
            bias = bn.Bias.detach().cpu().to_type(ScalarType.Float64).sub(bn.RunningMean.detach().cpu().to_type(ScalarType.Float64).mul(scale));
        }
        else
        {
            bias = layer.Convolution.bias!.detach().cpu().to_type(ScalarType.Float64);
        }
        return (weight.to_type(ScalarType.Float32).MoveToOuterDisposeScope(), bias.to_type(ScalarType.Float32).MoveToOuterDisposeScope());
    }

    private string MaxPool(DarknetMaxPoolLayer layer, string input, DarknetShape inputShape)
    {
        string name = Name(layer);
        // As DarknetMaxPoolLayer: windows start at -padding/2 and the last one ends at the padded edge.
        long before = layer.Padding / 2;
        long right = (long)(layer.OutputShape.Width - 1) * layer.Stride + layer.Size - inputShape.Width - before;
        long bottom = (long)(layer.OutputShape.Height - 1) * layer.Stride + layer.Size - inputShape.Height - before;
        if (right < 0 || bottom < 0)
        {
            // Darknet's windows never reach the last rows or columns: drop them (ONNX pads cannot be negative).
            input = _builder.Node("Slice", $"{name}.crop", new[]
            {
                input,
                _builder.Ints($"{name}.crop.starts", 0, 0),
                _builder.Ints($"{name}.crop.ends", inputShape.Height + Math.Min(bottom, 0), inputShape.Width + Math.Min(right, 0)),
                _builder.Ints($"{name}.crop.axes", 2, 3),
            });
        }
        return _builder.Node("MaxPool", name, new[] { input },
            ("kernel_shape", new long[] { layer.Size, layer.Size }),
            ("strides", new long[] { layer.Stride, layer.Stride }),
            ("pads", new[] { before, before, Math.Max(bottom, 0), Math.Max(right, 0) }));
    }

    private string Route(DarknetRouteLayer layer, string[] outputs)
    {
        string name = Name(layer);
        var parts = layer.Sources.Select(source =>
        {
            if (layer.Groups == 1)
                return outputs[source];
            long size = _network.Layers[source].OutputShape.Channels / layer.Groups;
            return _builder.Node("Slice", $"{name}.group{source}", new[]
            {
                outputs[source],
                _builder.Ints($"{name}.group{source}.starts", layer.GroupId * size),
                _builder.Ints($"{name}.group{source}.ends", (layer.GroupId + 1) * size),
                _builder.Ints($"{name}.group{source}.axes", 1),
            });
        }).ToArray();
        return parts.Length == 1 ? parts[0] : _builder.Node("Concat", name, parts, ("axis", 1L));
    }

    private string Shortcut(DarknetShortcutLayer layer, string input, string[] outputs)
    {
        string name = Name(layer);
        int source = layer.Sources[0];
        if (_network.Layers[source].OutputShape != layer.OutputShape)
        {
            throw Unsupported(layer,
                $"it adds layer {source}'s {_network.Layers[source].OutputShape} output to a {layer.OutputShape} one, and only shortcuts between outputs of the same size (YOLOv3's) are mapped");
        }
        string x = layer.Alpha == 1f ? input : _builder.Node("Mul", $"{name}.alpha", new[] { input, _builder.Scalar($"{name}.alpha", layer.Alpha) });
        string from = layer.Beta == 1f ? outputs[source] : _builder.Node("Mul", $"{name}.beta", new[] { outputs[source], _builder.Scalar($"{name}.beta", layer.Beta) });
        return Activation(layer, layer.ActivationName, _builder.Node("Add", name, new[] { x, from }));
    }

    private string Upsample(DarknetUpsampleLayer layer, string input)
    {
        string name = Name(layer);
        string y = _builder.Node("Resize", name, new[] { input, "", _builder.Floats($"{name}.scales", 1, 1, layer.Stride, layer.Stride) },
            ("mode", "nearest"), ("coordinate_transformation_mode", "asymmetric"), ("nearest_mode", "floor"));
        return layer.Scale == 1f ? y : _builder.Node("Mul", $"{name}.scale", new[] { y, _builder.Scalar($"{name}.scale", layer.Scale) });
    }

    /// <summary>Darknet's activation (see <c>DarknetActivation</c>) as ONNX operators.</summary>
    private string Activation(DarknetLayer layer, string activation, string input)
    {
        string name = $"{Name(layer)}.{activation}";
        return activation switch
        {
            "linear" => input,
            "leaky" => _builder.Node("LeakyRelu", name, new[] { input }, ("alpha", 0.1f)),
            "relie" => _builder.Node("LeakyRelu", name, new[] { input }, ("alpha", 0.01f)),
            "relu" => _builder.Node("Relu", name, new[] { input }),
            "logistic" => _builder.Node("Sigmoid", name, new[] { input }),
            "tanh" => _builder.Node("Tanh", name, new[] { input }),
            "elu" => _builder.Node("Elu", name, new[] { input }, ("alpha", 1f)),
            "swish" => _builder.Node("Mul", name, new[] { input, _builder.Node("Sigmoid", $"{name}.sigmoid", new[] { input }) }),
            "mish" => _builder.Node("Mul", name, new[] { input, _builder.Node("Tanh", $"{name}.tanh", new[] { _builder.Node("Softplus", $"{name}.softplus", new[] { input }) }) }),
            _ => throw Unsupported(layer, $"its activation={activation} is not mapped (mapped: linear, leaky, relie, relu, logistic, tanh, elu, swish, mish)"),
        };
    }

    /// <summary>The node name of a layer: its state-dictionary path, <c>layers.i</c>.</summary>
    private static string Name(DarknetLayer layer) => $"layers.{layer.Index}";

    private OnnxFormatException Unsupported(DarknetLayer layer, string reason) =>
        new($"Layer {Name(layer)} ({layer.Section.Header}, {_network.Config.Source} line {layer.Section.Line}) has no ONNX export: {reason}.");
}
