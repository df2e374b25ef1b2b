using Microsoft.ML.DeepExtensions.Vision.Detection.Ops;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// Mask R-CNN's mask branch, beside the box head in <see cref="RoIHeads"/> (He et al., "Mask R-CNN", ICCV 2017): boxes
/// pooled by a <see cref="MultiScaleRoIAlign"/> of their own (<c>mask_roi_pool</c>, 14 × 14), the
/// <see cref="MaskRcnnHeads"/> (<c>mask_head</c>) and the <see cref="MaskRcnnPredictor"/> (<c>mask_predictor</c>).
/// In training it sees the positive sampled proposals and gives the mask loss (<see cref="MaskTargets"/>); in
/// evaluation it sees the detections and gives each one's mask probabilities of its class.
/// </summary>
/// <remarks>The three modules are registered by <see cref="RoIHeads"/> under torchvision's names, so this holds them without being a module itself.</remarks>
internal sealed class MaskBranch
{
    /// <param name="featureNames">The maps to pool from, finest first.</param>
    /// <param name="channels">Channels of the feature maps.</param>
    /// <param name="classes">Classes including the background.</param>
    /// <param name="settings">The branch's numbers.</param>
    /// <param name="device">Where the weights live.</param>
    public MaskBranch(IReadOnlyList<string> featureNames, int channels, int classes, MaskHeadSettings settings, Device? device)
    {
        settings.Validate();
        Settings = settings;
        Pool = new MultiScaleRoIAlign(featureNames, (settings.PooledSize, settings.PooledSize), settings.SamplingRatio);
        Head = new MaskRcnnHeads(channels, settings.Layers, settings.Dilation, device);
        Predictor = new MaskRcnnPredictor(Head.OutChannels, settings.PredictorChannels, classes, device);
    }

    public MaskHeadSettings Settings { get; }

    public MultiScaleRoIAlign Pool { get; }

    public MaskRcnnHeads Head { get; }

    public MaskRcnnPredictor Predictor { get; }

    /// <summary>Mask logits <c>[ΣK, Classes, M, M]</c> of per-image boxes (<c>[K, 4]</c> in batch pixels).</summary>
    public Tensor Logits(IReadOnlyDictionary<string, Tensor> features, IReadOnlyList<Tensor> boxes, IReadOnlyList<(int Height, int Width)> imageSizes) =>
        Predictor.forward(Head.forward(Pool.forward(features, boxes, imageSizes)));

    /// <summary>
    /// torchvision's <c>maskrcnn_inference</c>: the sigmoid of each detection's logits of its class, as
    /// <c>[K, M, M]</c> per image.
    /// </summary>
    /// <param name="logits"><c>[ΣK, Classes, M, M]</c>.</param>
    /// <param name="labels">Per image, <c>[K]</c> int64 classes of the detections.</param>
    public static Tensor[] Probabilities(Tensor logits, IReadOnlyList<Tensor> labels)
    {
        var all = torch.cat(labels.ToArray(), 0);
        var rows = torch.arange(all.shape[0], ScalarType.Int64, logits.device);
        var probabilities = logits.index(new TensorIndex[] { TensorIndex.Tensor(rows), TensorIndex.Tensor(all) }).sigmoid();
        var result = new Tensor[labels.Count];
        long offset = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            long count = labels[i].shape[0];
            result[i] = probabilities.narrow(0, offset, count);
            offset += count;
        }
        return result;
    }
}
