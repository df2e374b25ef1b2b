using Microsoft.ML.DeepExtensions.Vision.Layers;

namespace Microsoft.ML.DeepExtensions.Vision.Architectures;

/// <summary>
/// A small modern CNN for small images such as 28×28 Fashion-MNIST or MNIST, cheap enough to train on
/// a CPU: three stages of 3×3 convolution (32, 64, 128 filters, same padding, no bias), batch
/// normalization and ReLU, 2×2 max pooling after the first two, then global average pooling,
/// dropout 0.2 and a fully connected classifier.
/// </summary>
/// <remarks>
/// On 1×28×28 with 10 classes: 94,186 trainable weights and about 7.5 million multiply-adds per image
/// (28×28×32×9 + 14×14×64×32×9 + 7×7×128×64×9 + 128×10). Global average pooling makes it accept any
/// input of at least 4×4 (the two poolings need 2×2 each).
/// </remarks>
public sealed class SmallCnn : LayeredArchitecture
{
    /// <inheritdoc/>
    public override string Name => "small-cnn";

    private protected override LayerStack DescribeLayers(long[] inputShape, int classes)
    {
        var relu = Activations.Activations.ReLU;
        return new LayerStack
        {
            { "conv1", new Convolution(32, 3, padding: Padding.Same, bias: false) },
            { "bn1", new BatchNormalization() },
            { "relu1", new ActivationLayer(relu) },
            { "pool1", new MaxPooling(2) },
            { "conv2", new Convolution(64, 3, padding: Padding.Same, bias: false) },
            { "bn2", new BatchNormalization() },
            { "relu2", new ActivationLayer(relu) },
            { "pool2", new MaxPooling(2) },
            { "conv3", new Convolution(128, 3, padding: Padding.Same, bias: false) },
            { "bn3", new BatchNormalization() },
            { "relu3", new ActivationLayer(relu) },
            { "avgpool", new GlobalAveragePooling() },
            { "dropout", new Dropout(0.2) },
            { "fc", new FullyConnected(classes) },
        };
    }
}
