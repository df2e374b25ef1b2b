using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Ops;

/// <summary>
/// RoIAlign over the levels of a feature pyramid (torchvision's <c>MultiScaleRoIAlign</c>): each box is pooled
/// from the level that <see cref="FpnLevelMapper"/> assigns to its size, with that level's spatial scale.
/// </summary>
/// <remarks>
/// <para>Each map's scale is inferred as torchvision does: <c>2^round(log2(map height / image height))</c>, with the
/// largest height of <c>imageSizes</c> as image height, so maps must be powers of two apart, e.g. strides 4, 8,
/// 16, 32. The finest and coarsest maps give the mapper's <c>kMin = −log2(scale₀)</c> and <c>kMax</c>.
/// <see cref="RoIAlign"/> runs once per level (not per box) with <c>aligned = false</c>, and the results are put
/// back in box order. With one map every box is pooled from it.</para>
/// </remarks>
public sealed class MultiScaleRoIAlign : nn.Module
{
    private readonly string[] _featureMapNames;

    /// <param name="featureMapNames">The maps to pool from, finest first (e.g. "0", "1", "2", "3" of an FPN); at least one.</param>
    /// <param name="outputSize">Bins per RoI, <c>(h, w)</c>; both positive.</param>
    /// <param name="samplingRatio">Sampling points per bin and axis; 0 or negative: adaptive. torchvision's Faster R-CNN uses 2.</param>
    /// <param name="canonicalScale">Box size of the canonical level. Defaults to 224.</param>
    /// <param name="canonicalLevel">Level of a box of the canonical size. Defaults to 4.</param>
    public MultiScaleRoIAlign(IReadOnlyList<string> featureMapNames, (int Height, int Width) outputSize, int samplingRatio, int canonicalScale = 224, int canonicalLevel = 4)
        : base(nameof(MultiScaleRoIAlign))
    {
        ArgumentNullException.ThrowIfNull(featureMapNames);
        if (featureMapNames.Count == 0)
            throw new ArgumentException("featureMapNames must name at least one feature map.", nameof(featureMapNames));
        if (featureMapNames.Distinct().Count() != featureMapNames.Count)
            throw new ArgumentException($"featureMapNames must be distinct, got [{string.Join(", ", featureMapNames)}].", nameof(featureMapNames));
        RoIChecks.CheckOutputSize(outputSize, nameof(outputSize));
        if (canonicalScale <= 0)
            throw new ArgumentOutOfRangeException(nameof(canonicalScale), $"canonicalScale must be positive, got {canonicalScale}.");
        _featureMapNames = featureMapNames.ToArray();
        (OutputSize, SamplingRatio, CanonicalScale, CanonicalLevel) = (outputSize, samplingRatio, canonicalScale, canonicalLevel);
    }

    /// <summary>The maps pooled from, finest first.</summary>
    public IReadOnlyList<string> FeatureMapNames => _featureMapNames;

    /// <summary>Bins per RoI.</summary>
    public (int Height, int Width) OutputSize { get; }

    /// <summary>Sampling points per bin and axis (0 or negative: adaptive).</summary>
    public int SamplingRatio { get; }

    /// <summary>Box size of the canonical level.</summary>
    public int CanonicalScale { get; }

    /// <summary>Level of a box of the canonical size.</summary>
    public int CanonicalLevel { get; }

    /// <summary>Pools every box from its level.</summary>
    /// <param name="features">Feature maps by name, <c>[N, C, Hl, Wl]</c> each, same N, C, dtype and device; maps not in <see cref="FeatureMapNames"/> are ignored.</param>
    /// <param name="boxes">Per image, <c>[Ki, 4]</c> xyxy boxes in the pixels of the (resized) image; one tensor per image of the batch.</param>
    /// <param name="imageSizes">Per image, its (height, width) in pixels; same count as <paramref name="boxes"/>.</param>
    /// <returns><c>[ΣKi, C, h, w]</c>, image 0's boxes first, each image's in its order.</returns>
    public Tensor forward(IReadOnlyDictionary<string, Tensor> features, IReadOnlyList<Tensor> boxes, IReadOnlyList<(int Height, int Width)> imageSizes)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(imageSizes);
        var maps = _featureMapNames.Select(name => features.TryGetValue(name, out var map) ? map
            : throw new ArgumentException($"features has no map '{name}' (featureMapNames); it has [{string.Join(", ", features.Keys)}].", nameof(features))).ToArray();
        CheckMaps(maps);
        if (imageSizes.Count != boxes.Count)
            throw new ArgumentException($"imageSizes must give one size per image of boxes ({boxes.Count}), got {imageSizes.Count}.", nameof(imageSizes));
        if (imageSizes.Count == 0 || imageSizes.Any(s => s.Height <= 0 || s.Width <= 0))
            throw new ArgumentException($"imageSizes must hold positive sizes, one per image, got [{string.Join(", ", imageSizes)}].", nameof(imageSizes));

        using var scope = torch.NewDisposeScope();
        var rois = RoIChecks.ToRois(boxes, maps[0], nameof(boxes));
        RoIChecks.CheckRois(rois, maps[0], nameof(boxes));
        int imageHeight = imageSizes.Max(s => s.Height);
        var scales = maps.Select((map, i) => InferScale(map.shape[2], imageHeight, _featureMapNames[i])).ToArray();
        if (rois.shape[0] == 0)
            return RoIGather.NoRois(maps[0], OutputSize).MoveToOuterDisposeScope();
        if (maps.Length == 1)
            return RoIAlign.Apply(maps[0], rois, OutputSize, scales[0], SamplingRatio).MoveToOuterDisposeScope();
        for (int i = 1; i < scales.Length; i++)
        {
            if (scales[i] * 2 != scales[i - 1])
                throw new ArgumentException(
                    $"Feature maps must halve in size from one level to the next (finest first), but '{_featureMapNames[i - 1]}' has scale {scales[i - 1]} and '{_featureMapNames[i]}' {scales[i]}.", nameof(features));
        }

        var mapper = new FpnLevelMapper((int)-Math.Log2(scales[0]), (int)-Math.Log2(scales[^1]), CanonicalScale, CanonicalLevel);
        var levels = mapper.Levels(rois[.., 1..]);
        var result = torch.zeros(new[] { rois.shape[0], maps[0].shape[1], OutputSize.Height, OutputSize.Width }, maps[0].dtype, maps[0].device);
        for (int level = 0; level < maps.Length; level++)
        {
            var inLevel = (levels == level).nonzero().squeeze(1);
            if (inLevel.shape[0] == 0)
                continue;
            var pooled = RoIAlign.Apply(maps[level], rois.index_select(0, inLevel), OutputSize, scales[level], SamplingRatio);
            result = result.index_copy(0, inLevel, pooled);
        }
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>torchvision's <c>_infer_scale</c>: the power of two nearest to map height / image height (log2 rounded half to even).</summary>
    private static double InferScale(long mapHeight, int imageHeight, string name)
    {
        double scale = Math.Pow(2, Math.Round(Math.Log2((double)mapHeight / imageHeight), MidpointRounding.ToEven));
        if (scale > 1)
            throw new ArgumentException($"Feature map '{name}' ({mapHeight} rows) is larger than the images ({imageHeight} rows); imageSizes must be the sizes of the images the maps were computed from.", "imageSizes");
        return scale;
    }

    private void CheckMaps(Tensor[] maps)
    {
        for (int i = 0; i < maps.Length; i++)
        {
            RoIChecks.CheckFeatures(maps[i], $"features['{_featureMapNames[i]}']");
            if (maps[i].shape[0] != maps[0].shape[0] || maps[i].shape[1] != maps[0].shape[1] || maps[i].dtype != maps[0].dtype || !RoIChecks.SameDevice(maps[i], maps[0]))
                throw new ArgumentException(
                    $"features['{_featureMapNames[i]}'] must match features['{_featureMapNames[0]}'] in batch size, channels, dtype and device: " +
                    $"[{RoIChecks.Shape(maps[i])}] {maps[i].dtype} {maps[i].device} vs [{RoIChecks.Shape(maps[0])}] {maps[0].dtype} {maps[0].device}.", "features");
        }
    }
}
