using Microsoft.ML.DeepExtensions.Vision.Layers;

namespace Microsoft.ML.DeepExtensions.Vision.Architectures;

/// <summary>
/// A small modern CNN for small images such as 28×28 Fashion-MNIST or MNIST, cheap enough to train on
/// a CPU: three stages of 3×3 convolution (32, 64, 128 filters, same padding, no bias), 2×2 max
/// pooling, batch normalization and ReLU, then a small fully connected head (128 ReLU units, dropout
/// 0.3) and the classifier.
/// </summary>
/// <remarks>
/// On 1×28×28 with 10 classes (28 → 14 → 7 → 3): 241,770 trainable weights and about 7.6 million
/// multiply-adds per image (28·28·32·9 + 14·14·64·32·9 + 7·7·128·64·9 + 1152·128 + 128·10). The last
/// pooling keeps a coarse 3×3 layout for the head, which helps on centred images like Fashion-MNIST.
/// Each stage pools right after its convolution, before normalization and activation: max pooling
/// commutes with ReLU (and with batch normalization's increasing affine map), so the network is as
/// expressive, while normalization and activation run on a quarter of the values. On a CPU these
/// memory-bound passes over the 28×28 maps cost as much as the convolutions.
/// Inputs must be at least 8×8 (each pooling needs 2×2).
/// </remarks>
public sealed class SmallCnn : LayeredArchitecture
{
    /// <inheritdoc/>
    public override string Name => "small-cnn";

    private protected override LayerStack DescribeLayers(long[] inputShape, int classes)
    {
        var relu = Activations.Activations.ReLU;
        var layers = new LayerStack();
        int[] filters = { 32, 64, 128 };
        for (int stage = 1; stage <= filters.Length; stage++)
        {
            layers.Add($"conv{stage}", new Convolution(filters[stage - 1], 3, padding: ConvolutionPadding.Same, bias: false));
            layers.Add($"pool{stage}", new MaxPooling(2));
            layers.Add($"bn{stage}", new BatchNormalization());
            layers.Add($"relu{stage}", new ActivationLayer(relu));
        }
        layers.Add("flatten", new Flatten());
        layers.Add("fc1", new FullyConnected(128));
        layers.Add("relu4", new ActivationLayer(relu));
        layers.Add("dropout", new Dropout(0.3));
        layers.Add("fc2", new FullyConnected(classes));
        return layers;
    }
}
