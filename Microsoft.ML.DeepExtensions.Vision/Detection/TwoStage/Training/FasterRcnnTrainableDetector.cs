using Microsoft.ML.DeepExtensions.Vision.Detection.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage.Training;

/// <summary>
/// A <see cref="FasterRcnn"/> as the detection training path and the scorer use it: letterboxed square images normalized
/// (no resizing: the transform's min and max size are the input side), targets split per image with classes shifted by
/// one (class 0 is the background), the four <see cref="RcnnLoss"/> parts, and detections with the background removed.
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

    public override nn.Module Module => _network;

    public FasterRcnn Network => _network;

    public override IReadOnlyList<string> LossPartNames => RcnnLoss.PartNames;

    public override (Tensor Total, Tensor Parts) Loss(Tensor images, Tensor targets)
    {
        var (batch, sizes) = Prepare(images);
        var perImage = new (Tensor Boxes, Tensor Labels)[images.shape[0]];
        var imageIndex = targets[.., 0].to(ScalarType.Int64);
        for (int i = 0; i < perImage.Length; i++)
        {
            var rows = (imageIndex == i).nonzero().squeeze(1);
            var objects = targets.index_select(0, rows);
            perImage[i] = (objects[.., 2..6].contiguous(), objects[.., 1].to(ScalarType.Int64) + 1);
        }
        var loss = _network.LossBatch(batch, sizes, perImage, _generator);
        return (loss.Total, loss.Parts);
    }

    public override IReadOnlyList<ObjectDetections> Detect(Tensor images)
    {
        var (batch, sizes) = Prepare(images);
        return _network.DetectBatch(batch, sizes).Select(d => d.Boxes.shape[0] == 0 ? ObjectDetections.Empty : new ObjectDetections(
            d.Boxes.cpu().contiguous().data<float>().ToArray(),
            d.Labels.cpu().data<long>().Select(l => (int)l - 1).ToArray(),
            d.Scores.cpu().data<float>().ToArray())).ToArray();
    }

    private (Tensor Batch, (int Height, int Width)[] Sizes) Prepare(Tensor images)
    {
        var size = ((int)images.shape[2], (int)images.shape[3]);
        return (_network.Transform.NormalizeBatch(images), Enumerable.Repeat(size, (int)images.shape[0]).ToArray());
    }
}
