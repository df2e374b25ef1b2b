using Microsoft.ML.DeepExtensions.Activations;
using Microsoft.ML.DeepExtensions.Vision.Layers;

namespace Microsoft.ML.DeepExtensions.Vision.Architectures;

/// <summary>
/// AlexNet, the 2012 ImageNet winner (cheat sheet), in torchvision's single-tower layout: five
/// convolutions with ReLU and three max poolings, adaptive average pooling to 6×6 (so smaller images
/// fit), then three fully connected layers with dropout.
/// </summary>
/// <remarks>
/// <c>features</c>: conv1 64 × 11×11 stride 4 padding 2, pool1 max 3×3 stride 2, conv2 192 × 5×5
/// padding 2, pool2, conv3 384 × 3×3, conv4 256 × 3×3, conv5 256 × 3×3 (padding 1), pool3;
/// <c>avgpool</c> to 6×6; <c>classifier</c>: dropout, fc1 4096, dropout, fc2 4096, fc3 classes. On
/// 3×224×224 with 1,000 classes: 61,100,840 weights, as torchvision's <c>alexnet()</c>. This is the
/// "one weird trick" variant (64/192 filters instead of the paper's 96/256, no local response
/// normalization; see <see cref="LocalResponseNormalization"/> for the paper's layer). Inputs must be
/// at least 63×63.
/// Paper: Krizhevsky, Sutskever and Hinton, NIPS 2012; Krizhevsky, "One weird trick for parallelizing convolutional neural networks", 2014.
/// </remarks>
public sealed class AlexNet : LayeredArchitecture
{
    /// <summary>torchvision's <c>features</c> and <c>classifier</c> are numbered <c>nn.Sequential</c>s (ReLU, pooling and dropout take numbers too).</summary>
    private static readonly PyTorchModuleNames TorchvisionNames = new(new()
    {
        ["features.conv1"] = "features.0", ["features.conv2"] = "features.3", ["features.conv3"] = "features.6",
        ["features.conv4"] = "features.8", ["features.conv5"] = "features.10",
        ["classifier.fc1"] = "classifier.1", ["classifier.fc2"] = "classifier.4", ["classifier.fc3"] = "classifier.6",
    });

    /// <inheritdoc/>
    public override string Name => "alexnet";

    /// <inheritdoc/>
    public override string ToPyTorchName(string name) => TorchvisionNames.Map(name);

    private protected override LayerStack DescribeLayers(long[] inputShape, int classes)
    {
        var relu = Activations.Activations.ReLU;
        return new LayerStack
        {
            {
                "features", new LayerStack
                {
                    { "conv1", new Convolution(64, 11, stride: 4, padding: ConvolutionPadding.Explicit(2)) },
                    { "relu1", new ActivationLayer(relu) },
                    { "pool1", new MaxPooling(3, stride: 2) },
                    { "conv2", new Convolution(192, 5, padding: ConvolutionPadding.Explicit(2)) },
                    { "relu2", new ActivationLayer(relu) },
                    { "pool2", new MaxPooling(3, stride: 2) },
                    { "conv3", new Convolution(384, 3, padding: ConvolutionPadding.Explicit(1)) },
                    { "relu3", new ActivationLayer(relu) },
                    { "conv4", new Convolution(256, 3, padding: ConvolutionPadding.Explicit(1)) },
                    { "relu4", new ActivationLayer(relu) },
                    { "conv5", new Convolution(256, 3, padding: ConvolutionPadding.Explicit(1)) },
                    { "relu5", new ActivationLayer(relu) },
                    { "pool3", new MaxPooling(3, stride: 2) },
                }
            },
            { "avgpool", new AdaptiveAveragePooling(6, 6) },
            { "flatten", new Flatten() },
            {
                "classifier", new LayerStack
                {
                    { "drop1", new Dropout(0.5) },
                    { "fc1", new FullyConnected(4096) },
                    { "relu1", new ActivationLayer(relu) },
                    { "drop2", new Dropout(0.5) },
                    { "fc2", new FullyConnected(4096) },
                    { "relu2", new ActivationLayer(relu) },
                    { "fc3", new FullyConnected(classes) },
                }
            },
        };
    }
}
