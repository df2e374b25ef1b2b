using Microsoft.ML.DeepExtensions.Activations;
using Microsoft.ML.DeepExtensions.Vision.Layers;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Export;

/// <summary>
/// Writes a network described by <see cref="Layer"/>s (every built-in architecture) as ONNX nodes: each
/// layer becomes its ONNX operator with the module's weights, found by the layer's path (<c>layer1.0.conv1.weight</c>).
/// </summary>
internal sealed class LayerOnnxWriter
{
    private readonly OnnxGraphBuilder _builder;
    private readonly IReadOnlyDictionary<string, Tensor> _weights;
    private readonly string _prefix;

    /// <param name="builder">The graph the layers' nodes and initializers are added to.</param>
    /// <param name="weights">The module's state (parameters and buffers by name).</param>
    /// <param name="prefix">Prefix of the layers' weight names in <paramref name="weights"/> (<c>layers.</c> when the output is rescaled), or empty.</param>
    public LayerOnnxWriter(OnnxGraphBuilder builder, IReadOnlyDictionary<string, Tensor> weights, string prefix)
    {
        _builder = builder;
        _weights = weights;
        _prefix = prefix;
    }

    /// <summary>Writes <paramref name="layer"/> at <paramref name="path"/> reading <paramref name="input"/> of per-example shape <paramref name="shape"/>; returns its output value.</summary>
    public string Write(Layer layer, string path, string input, long[] shape)
    {
        string name = path.Length == 0 ? "network" : path;
        switch (layer)
        {
            case LayerStack stack:
                foreach (var (child, childLayer) in stack.Layers)
                {
                    string childPath = Child(path, child);
                    input = Write(childLayer, childPath, input, shape);
                    shape = childLayer.OutputShape(shape);
                }
                return input;
            case ResidualBlock block:
            {
                string residual = input;
                var residualShape = shape;
                foreach (var (child, childLayer) in block.Residual.Layers)
                {
                    residual = Write(childLayer, Child(path, child), residual, residualShape);
                    residualShape = childLayer.OutputShape(residualShape);
                }
                string shortcut = block.Shortcut is null ? input : Write(block.Shortcut, Child(path, "downsample"), input, shape);
                string sum = _builder.Node("Add", $"{name}.add", new[] { residual, shortcut });
                return Activation(block.Activation, Child(path, "relu"), sum);
            }
            case InceptionBlock inception:
                return _builder.Node("Concat", $"{name}.concat",
                    inception.Branches.Select(b => Write(b.Branch, Child(path, b.Name), input, shape)).ToArray(), ("axis", 1L));
            case Convolution convolution:
            {
                var (top, bottom) = convolution.Padding.Amount(shape[1], convolution.KernelSize, convolution.Stride, convolution.Dilation);
                var (left, right) = convolution.Padding.Amount(shape[2], convolution.KernelSize, convolution.Stride, convolution.Dilation);
                var inputs = new List<string> { input, Weight(path, "weight") };
                if (convolution.Bias)
                    inputs.Add(Weight(path, "bias"));
                return _builder.Node("Conv", name, inputs.ToArray(),
                    ("kernel_shape", new long[] { convolution.KernelSize, convolution.KernelSize }),
                    ("strides", new long[] { convolution.Stride, convolution.Stride }),
                    ("dilations", new long[] { convolution.Dilation, convolution.Dilation }),
                    ("pads", new[] { top, left, bottom, right }));
            }
            case BatchNormalization batchNorm:
                return _builder.Node("BatchNormalization", name,
                    new[] { input, Weight(path, "weight"), Weight(path, "bias"), Weight(path, "running_mean"), Weight(path, "running_var") },
                    ("epsilon", (float)batchNorm.Epsilon));
            case ActivationLayer activation:
                return Activation(activation.Activation, path, input);
            case MaxPooling max:
                return _builder.Node("MaxPool", name, new[] { input }, PoolingAttributes(max));
            case AveragePooling average:
                return _builder.Node("AveragePool", name, new[] { input },
                    average.CountIncludePadding ? PoolingAttributes(average).Append(("count_include_pad", (object)1L)).ToArray() : PoolingAttributes(average));
            case AdaptiveAveragePooling adaptive:
                return AdaptivePooling(adaptive, name, input, shape);
            case GlobalAveragePooling:
                return _builder.Node("Flatten", $"{name}.flatten", new[] { _builder.Node("GlobalAveragePool", name, new[] { input }) }, ("axis", 1L));
            case Flatten:
                return _builder.Node("Flatten", name, new[] { input }, ("axis", 1L));
            case FullyConnected fullyConnected:
            {
                var inputs = new List<string> { input, Weight(path, "weight") };
                if (fullyConnected.Bias)
                    inputs.Add(Weight(path, "bias"));
                return _builder.Node("Gemm", name, inputs.ToArray(), ("transB", 1L));
            }
            case Layers.Dropout:
                return input; // the identity when scoring
            case LocalResponseNormalization lrn:
                return _builder.Node("LRN", name, new[] { input },
                    ("size", (long)lrn.Size), ("alpha", (float)lrn.Alpha), ("beta", (float)lrn.Beta), ("bias", (float)lrn.K));
            case ZeroPadding pad:
                return _builder.Node("Pad", name, new[] { input, _builder.Ints($"{name}.pads", 0, 0, pad.Top, pad.Left, 0, 0, pad.Bottom, pad.Right) });
            default:
                throw new OnnxFormatException($"Layer '{name}' ({layer.GetType().Name}: {layer.Description}) has no ONNX export.");
        }
    }

    /// <summary>Writes an activation function as its ONNX operator(s).</summary>
    public string Activation(Activation activation, string path, string input)
    {
        string name = path.Length == 0 ? "activation" : path;
        return activation switch
        {
            ReLU => _builder.Node("Relu", name, new[] { input }),
            LeakyReLU leaky => _builder.Node("LeakyRelu", name, new[] { input }, ("alpha", (float)leaky.Slope)),
            Activations.Sigmoid => _builder.Node("Sigmoid", name, new[] { input }),
            Tanh => _builder.Node("Tanh", name, new[] { input }),
            Elu elu => _builder.Node("Elu", name, new[] { input }, ("alpha", (float)elu.Alpha)),
            // softplus_β(x) = softplus(β·x) / β (PyTorch's linear region above the threshold differs by under a float's rounding).
            Softplus softplus when softplus.Beta == 1 => _builder.Node("Softplus", name, new[] { input }),
            Softplus softplus => _builder.Node("Div", $"{name}.div", new[]
            {
                _builder.Node("Softplus", name, new[] { _builder.Node("Mul", $"{name}.mul", new[] { input, _builder.Scalar($"{name}.beta", (float)softplus.Beta) }) }),
                _builder.Scalar($"{name}.beta", (float)softplus.Beta),
            }),
            _ => throw new OnnxFormatException($"Activation '{activation}' at '{name}' has no ONNX export."),
        };
    }

    /// <summary>Kernel, strides, pads, and ceil_mode only when set (OpenCV 4.6's importer refuses ceil_mode = 0).</summary>
    private static (string, object)[] PoolingAttributes(Pooling pooling)
    {
        var attributes = new List<(string, object)>
        {
            ("kernel_shape", new long[] { pooling.KernelSize, pooling.KernelSize }),
            ("strides", new long[] { pooling.Stride, pooling.Stride }),
            ("pads", new long[] { pooling.Padding, pooling.Padding, pooling.Padding, pooling.Padding }),
        };
        if (pooling.CeilMode)
            attributes.Add(("ceil_mode", 1L));
        return attributes.ToArray();
    }

    /// <summary>
    /// Adaptive average pooling as ONNX has no such operator: when the input divides into the output, an
    /// average pool of <c>in / out</c>; when the output is a multiple of the input, each output cell copies
    /// one input cell (nearest resize). Other size pairs are refused.
    /// </summary>
    private string AdaptivePooling(AdaptiveAveragePooling adaptive, string name, string input, long[] shape)
    {
        long h = shape[1], w = shape[2];
        if (h % adaptive.Height == 0 && w % adaptive.Width == 0)
        {
            long kh = h / adaptive.Height, kw = w / adaptive.Width;
            return kh == 1 && kw == 1 ? input : _builder.Node("AveragePool", name, new[] { input },
                ("kernel_shape", new[] { kh, kw }), ("strides", new[] { kh, kw }));
        }
        if (adaptive.Height % h == 0 && adaptive.Width % w == 0)
        {
            return _builder.Node("Resize", name, new[] { input, "", _builder.Floats($"{name}.scales", 1, 1, adaptive.Height / (float)h, adaptive.Width / (float)w) },
                ("mode", "nearest"), ("coordinate_transformation_mode", "asymmetric"), ("nearest_mode", "floor"));
        }
        throw new OnnxFormatException($"Layer '{name}' (adaptive average pool to {adaptive.Height}×{adaptive.Width}) cannot be exported for a {h}×{w} input: ONNX has no adaptive pooling, and the sizes are not multiples of each other. Use an input size whose feature map divides {adaptive.Height}×{adaptive.Width}.");
    }

    private string Weight(string path, string name)
    {
        string key = $"{_prefix}{path}.{name}";
        return _weights.TryGetValue(key, out var tensor)
            ? _builder.Initializer(key, tensor)
            : throw new OnnxFormatException($"The network has no weight '{key}' for its layer '{path}'; the module does not match its layer description.");
    }

    private static string Child(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
}
