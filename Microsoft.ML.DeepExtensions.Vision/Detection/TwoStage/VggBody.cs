using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Layers;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// The project's <see cref="Vgg16"/> convolutions without the last pooling and the classifier, cut into its five blocks
/// (<c>block1</c> … <c>block5</c>, each the pooling that ends the block before it, then its 3×3 convolutions), returning
/// the maps of chosen blocks: the Faster R-CNN paper's VGG-16 feature extractor (<c>conv5_3</c>, stride 16) and the
/// levels of a pyramid over it.
/// </summary>
/// <remarks>Block strides: <c>block1</c> 1, <c>block2</c> 2, <c>block3</c> 4 (256 channels), <c>block4</c> 8 (512),
/// <c>block5</c> 16 (512). Module names: <c>block3.pool2</c>, <c>block3.conv3_1</c>, … (the architecture's own).</remarks>
public sealed class VggBody : LayeredBody
{
    private static readonly string[] Blocks = { "block1", "block2", "block3", "block4", "block5" };

    /// <param name="batchNormalization">Batch normalization after every convolution (<c>vgg16-bn</c>).</param>
    /// <param name="returnedBlocks">The blocks whose maps are returned, in network order, e.g. <c>block5</c> alone or <c>block3</c> … <c>block5</c> for an FPN.</param>
    /// <param name="device">Where the weights live. Defaults to the CPU.</param>
    public VggBody(bool batchNormalization, IReadOnlyList<string> returnedBlocks, Device? device = null)
        : base(nameof(VggBody), CutIntoBlocks(batchNormalization), Blocks, returnedBlocks, device)
    {
        BatchNormalization = batchNormalization;
    }

    /// <summary>Whether every convolution is followed by batch normalization.</summary>
    public bool BatchNormalization { get; }

    private static List<(string Name, Layer Layer)> CutIntoBlocks(bool batchNormalization)
    {
        var network = new Vgg16(batchNormalization).Layers(new long[] { 3, 224, 224 }, 1000);
        var features = (LayerStack)network.Layers.Single(l => l.Name == "features").Layer;
        var blocks = new List<(string, Layer)>();
        var block = new LayerStack();
        foreach (var (name, layer) in features)
        {
            bool pooling = name.StartsWith("pool", StringComparison.Ordinal);
            if (pooling)
            {
                blocks.Add(($"block{blocks.Count + 1}", block));
                block = new LayerStack();
            }
            // A block's pooling opens the next block, so each block's output is its last convolution's full-resolution map;
            // pool5 (after block5) is dropped, as in the paper's detector.
            if (!pooling || blocks.Count < Blocks.Length)
                block.Add(name, layer);
        }
        return blocks;
    }
}
