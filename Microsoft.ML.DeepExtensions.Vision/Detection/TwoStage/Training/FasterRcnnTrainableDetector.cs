using Microsoft.ML.DeepExtensions.Vision.Detection.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage.Training;

/// <summary>
/// A <see cref="FasterRcnn"/> (or a Mask R-CNN, one with the mask branch) as the detection training path and the scorer use
/// it: letterboxed square images normalized (no resizing: the transform's min and max size are the input side), targets
/// (and masks) split per image with classes shifted by one (class 0 is the background), the <see cref="RcnnLoss"/> parts, and
/// detections with the background removed.
/// </summary>
internal sealed class FasterRcnnTrainableDetector : TrainableDetector
{
    private readonly FasterRcnn _network;
    private readonly Generator? _generator;

    /// <param name="network">The network; its transform's min size is the input side.</param>
    /// <param name="generator">Random source of the anchor and proposal sampling; null for the global one.</param>
    public FasterRcnnTrainableDetector(FasterRcnn network, Generator? generator)
    {
        _network = network;
        _generator = generator;
    }

    /// <summary>A fresh network of <paramref name="architecture"/> on the setup's device, sampling from the setup's seed.</summary>
    public static FasterRcnnTrainableDetector Create(FasterRcnnArchitecture architecture, DetectionTrainingSetup setup)
    {
        var network = architecture.Build(setup.Device);
        try
        {
            network.to(setup.Device);
            return new FasterRcnnTrainableDetector(network, new torch.Generator((ulong)setup.Seed));
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    public override nn.Module Module => _network;

    public FasterRcnn Network => _network;

    public override IReadOnlyList<string> LossPartNames => _network.HasMasks ? RcnnLoss.MaskPartNames : RcnnLoss.PartNames;

    public override (Tensor Total, Tensor Parts) Loss(Tensor images, Tensor targets) => Loss(new DetectionBatch(images, targets, (int)images.shape[0]));

    public override (Tensor Total, Tensor Parts) Loss(DetectionBatch batch)
    {
        if (_network.HasMasks && batch.Masks is null)
            throw new InvalidOperationException("A Mask R-CNN trains on batches with masks: the data's mask column was not read.");
        var (images, targets) = (batch.Images, batch.Targets);
        var (normalized, sizes) = Prepare(images);
        var perImage = new (Tensor Boxes, Tensor Labels)[images.shape[0]];
        var masks = _network.HasMasks ? new Tensor[perImage.Length] : null;
        var imageIndex = targets[.., 0].to(ScalarType.Int64);
        for (int i = 0; i < perImage.Length; i++)
        {
            var rows = (imageIndex == i).nonzero().squeeze(1);
            var objects = targets.index_select(0, rows);
            perImage[i] = (objects[.., 2..6].contiguous(), objects[.., 1].to(ScalarType.Int64) + 1);
            if (masks is not null)
                masks[i] = batch.Masks!.index_select(0, rows);
        }
        var loss = _network.LossBatch(normalized, sizes, perImage, masks, _generator);
        return (loss.Total, loss.Parts);
    }

    /// <summary>Detections of a batch in its pixels; a Mask R-CNN's carry their masks, pasted at the batch's size (what each epoch's validation scores).</summary>
    public override IReadOnlyList<ObjectDetections> Detect(Tensor images)
    {
        var (detections, probabilities) = DetectWithMasks(images);
        if (!_network.HasMasks)
            return detections;
        var size = ((int)images.shape[2], (int)images.shape[3]);
        return detections.Select((d, i) => MaskPaster.Attach(d, probabilities[i], _network.RoIHeads.MaskSettings!.MaskSize, size)).ToArray();
    }

    /// <summary>
    /// Detections of a batch in its pixels and, for a Mask R-CNN, each image's <c>[K, M, M]</c> mask probabilities (row-major
    /// floats on the host, one grid per detection; empty arrays without a mask branch).
    /// </summary>
    public (IReadOnlyList<ObjectDetections> Detections, float[][] MaskProbabilities) DetectWithMasks(Tensor images)
    {
        var (batch, sizes) = Prepare(images);
        var found = _network.DetectBatch(batch, sizes);
        var detections = found.Select(d => d.Boxes.shape[0] == 0 ? ObjectDetections.Empty : new ObjectDetections(
            d.Boxes.cpu().contiguous().data<float>().ToArray(),
            d.Labels.cpu().data<long>().Select(l => (int)l - 1).ToArray(),
            d.Scores.cpu().data<float>().ToArray())).ToArray();
        var masks = found.Select(d => d.MaskProbabilities is { } m && m.numel() > 0 ? m.to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray() : Array.Empty<float>()).ToArray();
        return (detections, masks);
    }

    private (Tensor Batch, (int Height, int Width)[] Sizes) Prepare(Tensor images)
    {
        var size = ((int)images.shape[2], (int)images.shape[3]);
        return (_network.Transform.NormalizeBatch(images), Enumerable.Repeat(size, (int)images.shape[0]).ToArray());
    }
}
