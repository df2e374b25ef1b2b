using Microsoft.ML.DeepExtensions.Vision.Layers;

namespace Microsoft.ML.DeepExtensions.Vision.Architectures;

/// <summary>
/// ResNet (residual network, cheat sheet: "skip connections" that add a block's input to its output):
/// a 7×7 stem, four stages of residual blocks with 64, 128, 256, 512 base channels (the last three
/// halving the size with stride 2), global average pooling and a fully connected classifier.
/// </summary>
/// <remarks>
/// <para>
/// ResNet-18 and -34 use basic blocks (two 3×3 convolutions); ResNet-50, -101 and -152 use bottleneck
/// blocks (1×1 reduce, 3×3 with the stride, 1×1 expand ×4, the stride on the 3×3 as torchvision's
/// "v1.5"). Every convolution is followed by batch normalization and has no bias. Blocks per stage:
/// 18 [2, 2, 2, 2], 34 [3, 4, 6, 3], 50 [3, 4, 6, 3], 101 [3, 4, 23, 3], 152 [3, 8, 36, 3].
/// </para>
/// <para>
/// Module names follow torchvision (<c>conv1</c>, <c>bn1</c>, <c>maxpool</c>, <c>layer1.0.conv1</c>,
/// <c>layer2.0.downsample.0</c>, <c>fc</c>), so weight names match its state dictionaries. On
/// 3×224×224 with 1,000 classes: ResNet-18 11,689,512, ResNet-34 21,797,672, ResNet-50 25,557,032
/// trainable weights, as torchvision. Global average pooling makes any input of at least 1×1 after
/// the stem work (the stem needs 1×1; each stride-2 stage rounds up).
/// </para>
/// Paper: He, Zhang, Ren and Sun, "Deep Residual Learning for Image Recognition", CVPR 2016.
/// </remarks>
public sealed class ResNet : LayeredArchitecture
{
    private static readonly Dictionary<int, (bool Bottleneck, int[] Blocks)> Configurations = new()
    {
        [18] = (false, new[] { 2, 2, 2, 2 }),
        [34] = (false, new[] { 3, 4, 6, 3 }),
        [50] = (true, new[] { 3, 4, 6, 3 }),
        [101] = (true, new[] { 3, 4, 23, 3 }),
        [152] = (true, new[] { 3, 8, 36, 3 }),
    };

    /// <param name="depth">18, 34, 50, 101 or 152.</param>
    public ResNet(int depth)
    {
        if (!Configurations.ContainsKey(depth))
            throw new ArgumentOutOfRangeException(nameof(depth), $"Depth must be one of {string.Join(", ", Configurations.Keys)}, got {depth}.");
        Depth = depth;
    }

    /// <summary>18, 34, 50, 101 or 152 weight layers.</summary>
    public int Depth { get; }

    /// <inheritdoc/>
    public override string Name => $"resnet{Depth}";

    private protected override LayerStack DescribeLayers(long[] inputShape, int classes)
    {
        var (bottleneck, blocks) = Configurations[Depth];
        int expansion = bottleneck ? 4 : 1;
        var network = new LayerStack
        {
            { "conv1", new Convolution(64, 7, stride: 2, padding: Padding.Explicit(3), bias: false) },
            { "bn1", new BatchNormalization() },
            { "relu", new ActivationLayer(Activations.Activations.ReLU) },
            { "maxpool", new MaxPooling(3, stride: 2, padding: 1) },
        };
        int channels = 64;
        for (int stage = 0; stage < blocks.Length; stage++)
        {
            int planes = 64 << stage;
            var layer = new LayerStack();
            for (int i = 0; i < blocks[stage]; i++)
            {
                int stride = stage > 0 && i == 0 ? 2 : 1;
                layer.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    bottleneck ? Bottleneck(channels, planes, stride) : BasicBlock(channels, planes, stride));
                channels = planes * expansion;
            }
            network.Add($"layer{stage + 1}", layer);
        }
        network.Add("avgpool", new GlobalAveragePooling());
        network.Add("fc", new FullyConnected(classes));
        return network;
    }

    /// <summary>Two 3×3 convolutions, the first with the stride.</summary>
    private static ResidualBlock BasicBlock(int inChannels, int planes, int stride) => new(
        new LayerStack
        {
            { "conv1", Conv3x3(planes, stride) },
            { "bn1", new BatchNormalization() },
            { "relu1", new ActivationLayer(Activations.Activations.ReLU) },
            { "conv2", Conv3x3(planes, 1) },
            { "bn2", new BatchNormalization() },
        },
        Downsample(inChannels, planes, stride),
        kind: "BasicBlock");

    /// <summary>1×1 to <paramref name="planes"/>, 3×3 with the stride, 1×1 to 4·<paramref name="planes"/>.</summary>
    private static ResidualBlock Bottleneck(int inChannels, int planes, int stride) => new(
        new LayerStack
        {
            { "conv1", new Convolution(planes, 1, bias: false) },
            { "bn1", new BatchNormalization() },
            { "relu1", new ActivationLayer(Activations.Activations.ReLU) },
            { "conv2", Conv3x3(planes, stride) },
            { "bn2", new BatchNormalization() },
            { "relu2", new ActivationLayer(Activations.Activations.ReLU) },
            { "conv3", new Convolution(planes * 4, 1, bias: false) },
            { "bn3", new BatchNormalization() },
        },
        Downsample(inChannels, planes * 4, stride),
        kind: "Bottleneck");

    private static Convolution Conv3x3(int filters, int stride) => new(filters, 3, stride, Padding.Explicit(1), bias: false);

    /// <summary>A 1×1 convolution with the stride and batch normalization when the block changes the shape; null (identity) otherwise.</summary>
    private static LayerStack? Downsample(int inChannels, int outChannels, int stride) => stride == 1 && inChannels == outChannels
        ? null
        : new LayerStack
        {
            { "0", new Convolution(outChannels, 1, stride, bias: false) },
            { "1", new BatchNormalization() },
        };
}
