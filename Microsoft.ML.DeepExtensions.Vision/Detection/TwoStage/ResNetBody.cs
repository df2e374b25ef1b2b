using Microsoft.ML.DeepExtensions.Vision.Architectures;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// The project's <see cref="ResNet"/> without its classifier (<c>avgpool</c>, <c>fc</c>), returning the maps of chosen
/// stages (torchvision's <c>IntermediateLayerGetter</c> over a ResNet): a detector's feature extractor.
/// </summary>
/// <remarks>Module names are the ResNet's (<c>conv1</c>, <c>bn1</c>, <c>layer1.0.conv1</c>, …), so under a backbone
/// named <c>backbone.body</c> they are torchvision's. Stage strides: <c>layer1</c> 4, <c>layer2</c> 8, <c>layer3</c> 16,
/// <c>layer4</c> 32.</remarks>
public sealed class ResNetBody : LayeredBody
{
    private static readonly string[] Stages = { "layer1", "layer2", "layer3", "layer4" };

    /// <param name="depth">ResNet depth: 18, 34, 50, 101 or 152.</param>
    /// <param name="returnedStages">The stages whose maps are returned, in network order, e.g. <c>layer1</c> … <c>layer4</c> for an FPN.</param>
    /// <param name="device">Where the weights live. Defaults to the CPU.</param>
    public ResNetBody(int depth, IReadOnlyList<string> returnedStages, Device? device = null)
        : base(nameof(ResNetBody), new ResNet(depth).Layers(new long[] { 3, 224, 224 }, 1000).Layers.TakeWhile(l => l.Name != "avgpool").ToList(),
            Stages, returnedStages, device)
    {
        Depth = depth;
    }

    /// <summary>ResNet depth.</summary>
    public int Depth { get; }
}
