namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>The project's architectures a Faster or Mask R-CNN trainer builds its backbone's body from.</summary>
public enum RcnnBackboneNetwork
{
    /// <summary>A ResNet (<see cref="ResNetBody"/>, of the options' depth): the single map is layer4 (stride 32), the pyramid's levels layer1 to layer4.</summary>
    ResNet,

    /// <summary>VGG-16 without batch normalization (<see cref="VggBody"/>): the single map is conv5_3 (stride 16, the paper's), the pyramid's levels blocks 3 to 5.</summary>
    Vgg16,

    /// <summary>VGG-16 with batch normalization after every convolution (<c>vgg16-bn</c>), cut like <see cref="Vgg16"/>.</summary>
    Vgg16BatchNorm,
}
