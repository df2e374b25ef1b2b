using Microsoft.ML.DeepExtensions.Vision.Layers;

namespace Microsoft.ML.DeepExtensions.Vision.Architectures;

/// <summary>
/// GoogLeNet (Inception v1), the 22-layer network whose inception modules run four parallel branches
/// (1×1; 1×1 then 3×3; 1×1 then a second 3×3; 3×3 max pooling then 1×1) and concatenate them (cheat
/// sheet), in torchvision's layout with batch normalization and without the auxiliary classifiers.
/// </summary>
/// <remarks>
/// <para>
/// Every convolution is a <c>BasicConv2d</c> block: convolution without bias, batch normalization
/// (ε = 0.001), ReLU. Stem: <c>conv1</c> 64 × 7×7 stride 2, <c>maxpool1</c>, <c>conv2</c> 64 × 1×1,
/// <c>conv3</c> 192 × 3×3, <c>maxpool2</c>; inception 3a, 3b, <c>maxpool3</c>, 4a–4e, <c>maxpool4</c>,
/// 5a, 5b; global average pooling, dropout 0.2, <c>fc</c>. Max poolings round up (ceil mode).
/// </para>
/// <para>
/// As torchvision, the "5×5" branch uses a 3×3 convolution (a known difference from the paper that
/// torchvision keeps for its weights): on 3×224×224 with 1,000 classes the network has 6,624,904
/// trainable weights, as torchvision's <c>googlenet(aux_logits=False)</c>. Module names follow
/// torchvision (<c>inception4a.branch2.1.conv</c>).
/// </para>
/// Paper: Szegedy et al., "Going Deeper with Convolutions", CVPR 2015.
/// </remarks>
public sealed class GoogLeNet : LayeredArchitecture
{
    /// <inheritdoc/>
    public override string Name => "googlenet";

    private protected override LayerStack DescribeLayers(long[] inputShape, int classes) => new()
    {
        { "conv1", ConvBlock(64, 7, stride: 2, padding: 3) },
        { "maxpool1", new MaxPooling(3, stride: 2, ceilMode: true) },
        { "conv2", ConvBlock(64, 1) },
        { "conv3", ConvBlock(192, 3, padding: 1) },
        { "maxpool2", new MaxPooling(3, stride: 2, ceilMode: true) },
        { "inception3a", Inception(64, 96, 128, 16, 32, 32) },
        { "inception3b", Inception(128, 128, 192, 32, 96, 64) },
        { "maxpool3", new MaxPooling(3, stride: 2, ceilMode: true) },
        { "inception4a", Inception(192, 96, 208, 16, 48, 64) },
        { "inception4b", Inception(160, 112, 224, 24, 64, 64) },
        { "inception4c", Inception(128, 128, 256, 24, 64, 64) },
        { "inception4d", Inception(112, 144, 288, 32, 64, 64) },
        { "inception4e", Inception(256, 160, 320, 32, 128, 128) },
        { "maxpool4", new MaxPooling(2, stride: 2, ceilMode: true) },
        { "inception5a", Inception(256, 160, 320, 32, 128, 128) },
        { "inception5b", Inception(384, 192, 384, 48, 128, 128) },
        { "avgpool", new GlobalAveragePooling() },
        { "dropout", new Dropout(0.2) },
        { "fc", new FullyConnected(classes) },
    };

    /// <summary>Convolution without bias, batch normalization (ε = 0.001), ReLU.</summary>
    private static LayerStack ConvBlock(int filters, int kernelSize, int stride = 1, int padding = 0) => new(
        ("conv", new Convolution(filters, kernelSize, stride, Padding.Explicit(padding), bias: false)),
        ("bn", new BatchNormalization(epsilon: 0.001)),
        ("relu", new ActivationLayer(Activations.Activations.ReLU)))
    {
        Kind = "BasicConv2d",
        ShowAsOneRow = true,
    };

    private static InceptionBlock Inception(int ch1x1, int ch3x3Reduce, int ch3x3, int ch5x5Reduce, int ch5x5, int poolProjection) => new(
        ("branch1", ConvBlock(ch1x1, 1)),
        ("branch2", new LayerStack { { "0", ConvBlock(ch3x3Reduce, 1) }, { "1", ConvBlock(ch3x3, 3, padding: 1) } }),
        ("branch3", new LayerStack { { "0", ConvBlock(ch5x5Reduce, 1) }, { "1", ConvBlock(ch5x5, 3, padding: 1) } }),
        ("branch4", new LayerStack { { "0", new MaxPooling(3, stride: 1, padding: 1, ceilMode: true) }, { "1", ConvBlock(poolProjection, 1) } }));
}
