using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;
using Microsoft.ML.DeepExtensions.Vision.Detection.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo.Training;

/// <summary>
/// A YOLO network (any module whose forward gives the raw output of each YOLO layer) as the detection training
/// path and the scorer use it: the <see cref="YoloLoss"/> in training, and in evaluation the decoded boxes with
/// score = objectness × class probability, thresholded, class-aware NMS and the best <c>MaxDetections</c>.
/// </summary>
internal sealed class YoloTrainableDetector : TrainableDetector
{
    private readonly nn.Module<Tensor, Tensor[]> _network;
    private readonly YoloLayerDecoder[] _decoders;
    private readonly YoloLoss? _loss;

    /// <param name="network">Forward gives each YOLO layer's raw output, in <paramref name="heads"/> order.</param>
    /// <param name="heads">The YOLO layers, in output order.</param>
    /// <param name="imageSize">The network input's side.</param>
    /// <param name="thresholds">Detection thresholds.</param>
    /// <param name="loss">The training loss (<see cref="YoloTrainer.Options.CreateLoss"/>); null for a detector that only scores.</param>
    public YoloTrainableDetector(nn.Module<Tensor, Tensor[]> network, IReadOnlyList<YoloHead> heads, int imageSize, YoloThresholds thresholds, YoloLoss? loss = null)
    {
        _network = network;
        _decoders = heads.Select(h => new YoloLayerDecoder(h)).ToArray();
        Classes = heads[0].Classes;
        ImageSize = imageSize;
        Thresholds = thresholds;
        _loss = loss;
    }

    public override nn.Module Module => _network;

    public nn.Module<Tensor, Tensor[]> Network => _network;

    public int Classes { get; }

    public int ImageSize { get; }

    public YoloThresholds Thresholds { get; set; }

    public override IReadOnlyList<string> LossPartNames => YoloLoss.PartNames;

    public override (Tensor Total, Tensor Parts) Loss(Tensor images, Tensor targets) =>
        (_loss ?? throw new InvalidOperationException("This YOLO detector was loaded for scoring: it has no training loss."))
            .Compute(_network.forward(images), targets, images.shape[0]);

    public override IReadOnlyList<ObjectDetections> Detect(Tensor images)
    {
        var (boxes, scores) = Candidates(_network.forward(images));
        long n = images.shape[0];
        var results = new ObjectDetections[n];
        for (long i = 0; i < n; i++)
            results[i] = Select(boxes[i], scores[i]);
        return results;
    }

    /// <summary>Decoded boxes <c>[N, P, 4]</c> and class scores <c>[N, P, C]</c> (objectness × class probability) of all heads, as Darknet decodes them.</summary>
    internal (Tensor Boxes, Tensor Scores) Candidates(Tensor[] outputs)
    {
        var boxes = new List<Tensor>();
        var scores = new List<Tensor>();
        for (int h = 0; h < _decoders.Length; h++)
        {
            var predictions = _decoders[h].Decode(outputs[h]);
            boxes.Add(predictions.Boxes);
            scores.Add(predictions.ClassProbabilities);
        }
        return (torch.cat(boxes, 1), torch.cat(scores, 1));
    }

    /// <summary>One image's detections from its candidates: threshold, class-aware NMS, the best ones, clipped to the input.</summary>
    internal ObjectDetections Select(Tensor boxes, Tensor scores)
    {
        var above = (scores > Thresholds.Confidence).nonzero();
        if (above.shape[0] == 0)
            return ObjectDetections.Empty;
        var candidate = above[.., 0];
        var classes = above[.., 1];
        var candidateScores = scores.index(new TensorIndex[] { TensorIndex.Tensor(candidate), TensorIndex.Tensor(classes) });
        if (candidateScores.shape[0] > YoloCandidates.MaxNmsCandidates)
        {
            var best = candidateScores.topk(YoloCandidates.MaxNmsCandidates).indexes;
            (candidate, classes, candidateScores) = (candidate.index_select(0, best), classes.index_select(0, best), candidateScores.index_select(0, best));
        }
        // NMS compares the boxes as decoded, and only the kept ones are clipped to the input, as Darknet's do_nms_sort
        // does: clipping first changes the IoU of boxes that cross the border, and the exported model would then keep
        // other boxes in Darknet than here.
        var candidateBoxes = boxes.index_select(0, candidate);
        var kept = NonMaxSuppression.ApplyPerClass(candidateBoxes, candidateScores, classes, Thresholds.Iou);
        if (kept.shape[0] > Thresholds.MaxDetections)
            kept = kept.narrow(0, 0, Thresholds.MaxDetections);
        var keptBoxes = candidateBoxes.index_select(0, kept).clamp(0, ImageSize).cpu().data<float>().ToArray();
        var keptScores = candidateScores.index_select(0, kept).cpu().data<float>().ToArray();
        var keptClasses = classes.index_select(0, kept).cpu().data<long>().Select(c => (int)c).ToArray();
        return new ObjectDetections(keptBoxes, keptClasses, keptScores);
    }
}
