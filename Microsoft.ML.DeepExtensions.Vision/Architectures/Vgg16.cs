using Microsoft.ML.DeepExtensions.Vision.Layers;

namespace Microsoft.ML.DeepExtensions.Vision.Architectures;

/// <summary>
/// VGG-16 (configuration D): thirteen 3×3 convolutions with stride 1 and same padding in five blocks of
/// 64, 128, 256, 512, 512 filters, each block ending with 2×2 max pooling of stride 2 (cheat sheet:
/// "the width starts at 64 and doubles after every pooling layer"), adaptive average pooling to 7×7,
/// and three fully connected layers. Optionally batch normalization after every convolution.
/// </summary>
/// <remarks>
/// Module names: <c>features.conv{block}_{i}</c>, <c>bn{block}_{i}</c>, <c>relu{block}_{i}</c>,
/// <c>pool{block}</c>; <c>avgpool</c>; <c>classifier.fc1</c> 4096, <c>fc2</c> 4096, <c>fc3</c> classes
/// with ReLU and dropout 0.5. On 3×224×224 with 1,000 classes: 138,357,544 trainable weights
/// (138,365,992 with batch normalization), as torchvision's <c>vgg16()</c> and <c>vgg16_bn()</c>. Inputs
/// must be at least 32×32.
/// Paper: Simonyan and Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition", ICLR 2015.
/// </remarks>
public sealed class Vgg16 : LayeredArchitecture
{
    private static readonly int[][] Blocks = { new[] { 64, 64 }, new[] { 128, 128 }, new[] { 256, 256, 256 }, new[] { 512, 512, 512 }, new[] { 512, 512, 512 } };

    /// <param name="batchNormalization">Batch normalization after every convolution (<c>vgg16-bn</c>).</param>
    public Vgg16(bool batchNormalization) => BatchNormalization = batchNormalization;

    /// <summary>Whether every convolution is followed by batch normalization.</summary>
    public bool BatchNormalization { get; }

    /// <inheritdoc/>
    public override string Name => BatchNormalization ? "vgg16-bn" : "vgg16";

    /// <inheritdoc/>
    public override string ToPyTorchName(string name) => (BatchNormalization ? TorchvisionNamesWithBatchNorm : TorchvisionNamesPlain).Map(name);

    private static readonly PyTorchModuleNames TorchvisionNamesPlain = TorchvisionNames(batchNormalization: false);
    private static readonly PyTorchModuleNames TorchvisionNamesWithBatchNorm = TorchvisionNames(batchNormalization: true);

    /// <summary>
    /// torchvision's <c>features</c> numbers every module in order (convolution, batch normalization, ReLU, ...,
    /// max pooling) and its <c>classifier</c> is Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear.
    /// </summary>
    private static PyTorchModuleNames TorchvisionNames(bool batchNormalization)
    {
        var map = new Dictionary<string, string> { ["classifier.fc1"] = "classifier.0", ["classifier.fc2"] = "classifier.3", ["classifier.fc3"] = "classifier.6" };
        int index = 0;
        for (int block = 1; block <= Blocks.Length; block++)
        {
            for (int i = 1; i <= Blocks[block - 1].Length; i++)
            {
                map[$"features.conv{block}_{i}"] = $"features.{index++}";
                if (batchNormalization)
                    map[$"features.bn{block}_{i}"] = $"features.{index++}";
                index++; // ReLU
            }
            index++; // max pooling
        }
        return new PyTorchModuleNames(map);
    }

    private protected override LayerStack DescribeLayers(long[] inputShape, int classes)
    {
        var relu = Activations.Activations.ReLU;
        var features = new LayerStack();
        for (int block = 1; block <= Blocks.Length; block++)
        {
            for (int i = 1; i <= Blocks[block - 1].Length; i++)
            {
                features.Add($"conv{block}_{i}", new Convolution(Blocks[block - 1][i - 1], 3, padding: ConvolutionPadding.Same));
                if (BatchNormalization)
                    features.Add($"bn{block}_{i}", new Layers.BatchNormalization());
                features.Add($"relu{block}_{i}", new ActivationLayer(relu));
            }
            features.Add($"pool{block}", new MaxPooling(2, stride: 2));
        }
        return new LayerStack
        {
            { "features", features },
            { "avgpool", new AdaptiveAveragePooling(7, 7) },
            { "flatten", new Flatten() },
            {
                "classifier", new LayerStack
                {
                    { "fc1", new FullyConnected(4096) },
                    { "relu1", new ActivationLayer(relu) },
                    { "drop1", new Dropout(0.5) },
                    { "fc2", new FullyConnected(4096) },
                    { "relu2", new ActivationLayer(relu) },
                    { "drop2", new Dropout(0.5) },
                    { "fc3", new FullyConnected(classes) },
                }
            },
        };
    }
}
