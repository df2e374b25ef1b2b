using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// An R-CNN's backbone (torchvision's <c>BackboneWithFPN</c>, or a single map): a <see cref="ResNetBody"/>, a <see cref="VggBody"/>
/// or an imported ONNX network (<see cref="OnnxRcnnBody"/>) as <c>body</c>, optionally followed by a
/// <see cref="FeaturePyramidNetwork"/> (<c>fpn</c>). Gives named feature maps, finest first: <c>0</c>, <c>1</c>, <c>2</c>,
/// <c>3</c>, <c>pool</c> with the pyramid over a ResNet's four stages (strides 4 to 64; one level per body map, then
/// <c>pool</c>; VGG-16's three blocks give <c>0</c> to <c>2</c> and <c>pool</c>); <c>0</c> alone without it (ResNet's
/// layer4, stride 32; VGG-16's conv5_3, stride 16).
/// </summary>
public sealed class RcnnBackbone : nn.Module<Tensor, Tensor[]>
{
    private readonly nn.Module<Tensor, Tensor[]> _body;
    private readonly FeaturePyramidNetwork? _fpn;

    private RcnnBackbone(nn.Module<Tensor, Tensor[]> body, IReadOnlyList<int> bodyChannels, FeaturePyramidNetwork? fpn) : base(nameof(RcnnBackbone))
    {
        _body = body;
        _fpn = fpn;
        register_module("body", body);
        if (fpn is not null)
            register_module("fpn", fpn);
        FeatureNames = fpn is null ? new[] { "0" } : Enumerable.Range(0, bodyChannels.Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append("pool").ToArray();
        OutChannels = fpn?.OutChannels ?? bodyChannels[^1];
    }

    /// <summary>ResNet layer1 to layer4 under a feature pyramid of <paramref name="fpnChannels"/> channels (torchvision's <c>resnet_fpn_backbone</c>).</summary>
    /// <param name="depth">ResNet depth: 18, 34, 50, 101 or 152.</param>
    /// <param name="fpnChannels">Channels of the pyramid's levels. Defaults to 256 (torchvision's).</param>
    /// <param name="device">Where the weights live. Defaults to the CPU.</param>
    public static RcnnBackbone ResNetFpn(int depth, int fpnChannels = 256, Device? device = null)
    {
        var body = new ResNetBody(depth, new[] { "layer1", "layer2", "layer3", "layer4" }, device);
        return new RcnnBackbone(body, body.OutChannels, new FeaturePyramidNetwork(body.OutChannels, fpnChannels, lastLevelMaxPool: true, device));
    }

    /// <summary>ResNet up to layer4, whose stride-32 map is the only feature map (the original Faster R-CNN's single map).</summary>
    /// <param name="depth">ResNet depth: 18, 34, 50, 101 or 152.</param>
    /// <param name="device">Where the weights live. Defaults to the CPU.</param>
    public static RcnnBackbone ResNetSingleMap(int depth, Device? device = null)
    {
        var body = new ResNetBody(depth, new[] { "layer4" }, device);
        return new RcnnBackbone(body, body.OutChannels, null);
    }

    /// <summary>
    /// VGG-16's blocks 3 to 5 (strides 4, 8, 16) under a feature pyramid of <paramref name="fpnChannels"/> channels, plus the
    /// max-pooled level (stride 32).
    /// </summary>
    /// <param name="batchNormalization">VGG-16 with batch normalization after every convolution.</param>
    /// <param name="fpnChannels">Channels of the pyramid's levels. Defaults to 256 (torchvision's).</param>
    /// <param name="device">Where the weights live. Defaults to the CPU.</param>
    public static RcnnBackbone Vgg16Fpn(bool batchNormalization, int fpnChannels = 256, Device? device = null)
    {
        var body = new VggBody(batchNormalization, new[] { "block3", "block4", "block5" }, device);
        return new RcnnBackbone(body, body.OutChannels, new FeaturePyramidNetwork(body.OutChannels, fpnChannels, lastLevelMaxPool: true, device));
    }

    /// <summary>VGG-16 up to conv5_3, whose stride-16 map is the only feature map (the Faster R-CNN paper's VGG-16 detector).</summary>
    /// <param name="batchNormalization">VGG-16 with batch normalization after every convolution.</param>
    /// <param name="device">Where the weights live. Defaults to the CPU.</param>
    public static RcnnBackbone Vgg16SingleMap(bool batchNormalization, Device? device = null)
    {
        var body = new VggBody(batchNormalization, new[] { "block5" }, device);
        return new RcnnBackbone(body, body.OutChannels, null);
    }

    /// <summary>
    /// An imported ONNX network's maps: the only one (single-map model), or one pyramid level per map under a feature
    /// pyramid of <paramref name="fpnChannels"/> channels (null: no pyramid), plus the max-pooled level.
    /// </summary>
    /// <param name="body">The imported graph and the values it returns, finest first.</param>
    /// <param name="fpnChannels">Channels of the pyramid's levels; null for the single-map model.</param>
    /// <param name="device">Where the pyramid's weights live (the body's are where it was built). Defaults to the CPU.</param>
    /// <exception cref="ArgumentException">Without a pyramid, the body returns more than one map.</exception>
    public static RcnnBackbone Onnx(OnnxRcnnBody body, int? fpnChannels, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (fpnChannels is null && body.OutChannels.Count != 1)
            throw new ArgumentException($"Without a feature pyramid the backbone gives one feature map; the ONNX body returns {body.OutChannels.Count} ({string.Join(", ", body.Graph.OutputNames)}).", nameof(body));
        var fpn = fpnChannels is int channels ? new FeaturePyramidNetwork(body.OutChannels, channels, lastLevelMaxPool: true, device) : null;
        return new RcnnBackbone(body, body.OutChannels, fpn);
    }

    /// <summary>The feature extractor under the pyramid: a <see cref="ResNetBody"/>, <see cref="VggBody"/> or <see cref="OnnxRcnnBody"/>.</summary>
    public nn.Module<Tensor, Tensor[]> Body => _body;

    /// <summary>Names of the returned maps, finest first.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>Channels of every returned map.</summary>
    public int OutChannels { get; }

    /// <summary>Whether the maps come from a feature pyramid.</summary>
    public bool HasPyramid => _fpn is not null;

    /// <summary>Whether <see cref="FreezeBatchNorm"/> was called.</summary>
    public bool BatchNormFrozen { get; private set; }

    /// <summary>
    /// Keeps the body's batch normalization fixed while the detector trains (torchvision's <c>FrozenBatchNorm2d</c>, which its
    /// detectors use over pretrained backbones): the running statistics normalize and are not updated, and the scale and
    /// shift are not trained. The pyramid has no batch normalization.
    /// </summary>
    public void FreezeBatchNorm()
    {
        BatchNormFrozen = true;
        if (_body is OnnxRcnnBody onnx)
            onnx.Graph.FreezeBatchNormalization();
        foreach (var norm in BodyBatchNorms())
        {
            foreach (var parameter in norm.parameters())
                parameter.requires_grad = false;
        }
        train(training);
    }

    /// <inheritdoc/>
    public override void train(bool on = true)
    {
        base.train(on);
        if (BatchNormFrozen)
        {
            foreach (var norm in BodyBatchNorms())
                norm.eval();
        }
    }

    private IEnumerable<TorchSharp.Modules.BatchNorm2d> BodyBatchNorms() => _body.modules().OfType<TorchSharp.Modules.BatchNorm2d>();

    /// <summary>The feature maps of <c>[N, 3, H, W]</c> normalized images, in <see cref="FeatureNames"/> order.</summary>
    public override Tensor[] forward(Tensor images)
    {
        var maps = _body.call(images);
        return _fpn is null ? maps : _fpn.forward(maps);
    }

    /// <summary>Children are registered by name in the constructor (torchvision's names); TorchSharp must not add the fields again under their C# names.</summary>
    protected override void RegisterComponents()
    {
    }
}
