using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// <c>[convolutional]</c>: a convolution (<c>conv</c>), with <c>batch_normalize=1</c> a <see cref="DarknetBatchNorm"/>
/// (<c>bn</c>, which then holds the layer's biases, as in Darknet), and the activation (Darknet's default: logistic).
/// </summary>
/// <remarks>
/// Darknet's padding rule: <c>pad=1</c> means <c>size/2</c> pixels on every side (and overrides <c>padding=</c>), so the
/// output is <c>(W + 2·padding - size) / stride + 1</c>, rounded down, as for PyTorch's symmetric padding.
/// </remarks>
public sealed class DarknetConvolutionalLayer : DarknetLayer
{
    private readonly Func<Tensor, Tensor> _activation;

    internal DarknetConvolutionalLayer(int index, DarknetSection section, DarknetShape input, double momentum, Device? device)
        : this(index, section, input, momentum, device, Geometry.Of(section, input))
    {
    }

    private DarknetConvolutionalLayer(int index, DarknetSection section, DarknetShape input, double momentum, Device? device, Geometry geometry)
        : base("DarknetConvolutional", index, section, geometry.Output)
    {
        Filters = geometry.Output.Channels;
        Size = geometry.Size;
        Stride = geometry.Stride;
        Padding = geometry.Padding;
        Groups = geometry.Groups;
        BatchNormalize = section.GetInt("batch_normalize", 0) != 0;
        foreach (var key in new[] { "binary", "xnor", "flipped" })
        {
            if (section.GetInt(key, 0) != 0)
                throw section.Error(key, $"'{key}=1' (Darknet's binary/XNOR or transposed weights) is not supported.");
        }

        (ActivationName, _activation) = DarknetActivation.Read(section, "logistic");
        Convolution = nn.Conv2d(input.Channels, Filters, Size, stride: Stride, padding: Padding, groups: Groups, bias: !BatchNormalize, device: device);
        register_module("conv", Convolution);
        if (BatchNormalize)
        {
            BatchNorm = new DarknetBatchNorm(Filters, momentum, device);
            register_module("bn", BatchNorm);
        }
    }

    /// <summary>Output channels (<c>filters=</c>).</summary>
    public int Filters { get; }

    /// <summary>Kernel size (<c>size=</c>).</summary>
    public int Size { get; }

    /// <summary>Stride (<c>stride=</c>).</summary>
    public int Stride { get; }

    /// <summary>Zero padding on each side, after Darknet's <c>pad=1 → size/2</c> rule.</summary>
    public int Padding { get; }

    /// <summary>Convolution groups (<c>groups=</c>).</summary>
    public int Groups { get; }

    /// <summary>Whether the layer is batch-normalized (<c>batch_normalize=1</c>).</summary>
    public bool BatchNormalize { get; }

    /// <summary>The activation's Darknet name.</summary>
    public string ActivationName { get; }

    /// <summary>The convolution; it has a bias only without batch normalization.</summary>
    public Conv2d Convolution { get; }

    /// <summary>The batch normalization, or <see langword="null"/>.</summary>
    public DarknetBatchNorm? BatchNorm { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, IReadOnlyList<Tensor?> outputs)
    {
        using var scope = torch.NewDisposeScope();
        var x = Convolution.forward(input);
        if (BatchNorm is not null)
            x = BatchNorm.forward(x);
        return _activation(x).MoveToOuterDisposeScope();
    }

    private sealed record Geometry(DarknetShape Output, int Size, int Stride, int Padding, int Groups)
    {
        public static Geometry Of(DarknetSection section, DarknetShape input)
        {
            int filters = section.GetInt("filters", 1);
            int size = section.GetInt("size", 1);
            int stride = section.GetInt("stride", 1);
            int groups = section.GetInt("groups", 1);
            if (filters < 1)
                throw section.Error("filters", $"'filters' must be at least 1, got {filters}.");
            if (size < 1)
                throw section.Error("size", $"'size' must be at least 1, got {size}.");
            if (stride < 1)
                throw section.Error("stride", $"'stride' must be at least 1, got {stride}.");
            if (groups < 1 || input.Channels % groups != 0 || filters % groups != 0)
                throw section.Error("groups", $"'groups={groups}' must divide the {input.Channels} input channels and the {filters} filters.");
            int padding = section.GetInt("pad", 0) != 0 ? size / 2 : section.GetInt("padding", 0);
            if (padding < 0)
                throw section.Error("padding", $"'padding' must not be negative, got {padding}.");
            int width = (input.Width + 2 * padding - size) / stride + 1;
            int height = (input.Height + 2 * padding - size) / stride + 1;
            if (input.Width + 2 * padding < size || input.Height + 2 * padding < size)
                throw section.Error($"input {input} is smaller than the {size}x{size} kernel with padding {padding}.");
            return new Geometry(new DarknetShape(filters, height, width), size, stride, padding, groups);
        }
    }
}
