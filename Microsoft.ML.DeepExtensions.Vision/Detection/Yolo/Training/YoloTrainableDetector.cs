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
    private readonly IReadOnlyList<YoloHead> _heads;
    private readonly float[] _anchors;
    private readonly YoloLoss _loss;

    /// <param name="network">Forward gives each YOLO layer's raw output, in <paramref name="heads"/> order.</param>
    /// <param name="heads">The YOLO layers, in output order.</param>
    /// <param name="imageSize">The network input's side.</param>
    /// <param name="boxLoss">Training's box regression.</param>
    /// <param name="objectnessTarget">Training's objectness target.</param>
    /// <param name="thresholds">Detection thresholds.</param>
    public YoloTrainableDetector(nn.Module<Tensor, Tensor[]> network, IReadOnlyList<YoloHead> heads, int imageSize,
        YoloBoxLoss boxLoss, YoloObjectnessTarget objectnessTarget, YoloThresholds thresholds)
    {
        _network = network;
        _heads = heads;
        _anchors = heads[0].Settings.AllAnchors.SelectMany(a => new[] { a.Width, a.Height }).ToArray();
        Classes = heads[0].Classes;
        ImageSize = imageSize;
        Thresholds = thresholds;
        _loss = new YoloLoss(heads, imageSize, boxLoss, objectnessTarget);
    }

    public override nn.Module Module => _network;

    public nn.Module<Tensor, Tensor[]> Network => _network;

    public int Classes { get; }

    public int ImageSize { get; }

    public YoloThresholds Thresholds { get; set; }

    public override IReadOnlyList<string> LossPartNames => YoloLoss.PartNames;

    public override (Tensor Total, Tensor Parts) Loss(Tensor images, Tensor targets) =>
        _loss.Compute(_network.forward(images), targets, images.shape[0]);

    public override IReadOnlyList<ObjectDetections> Detect(Tensor images)
    {
        var (boxes, scores) = Candidates(_network.forward(images));
        long n = images.shape[0];
        var results = new ObjectDetections[n];
        for (long i = 0; i < n; i++)
            results[i] = Select(boxes[i], scores[i]);
        return results;
    }

    /// <summary>Decoded boxes <c>[N, P, 4]</c> and class scores <c>[N, P, C]</c> (objectness × class probability) of all heads.</summary>
    internal (Tensor Boxes, Tensor Scores) Candidates(Tensor[] outputs)
    {
        var device = outputs[0].device;
        var allAnchors = torch.tensor(_anchors, device: device).view(-1, 2);
        var boxes = new List<Tensor>();
        var scores = new List<Tensor>();
        for (int h = 0; h < _heads.Count; h++)
        {
            var mask = torch.tensor(_heads[h].Mask.Select(m => (long)m).ToArray(), device: device);
            var grid = new YoloGrid(outputs[h], allAnchors.index_select(0, mask), ImageSize, _heads[h].ScaleXY);
            long n = outputs[h].shape[0];
            boxes.Add(grid.Boxes.reshape(n, -1, 4));
            var objectness = grid.Predictions[TensorIndex.Ellipsis, 4..5].sigmoid();
            scores.Add((objectness * grid.Predictions[TensorIndex.Ellipsis, 5..].sigmoid()).reshape(n, -1, Classes));
        }
        return (torch.cat(boxes, 1), torch.cat(scores, 1));
    }

    /// <summary>One image's detections from its candidates: threshold, class-aware NMS, the best ones.</summary>
    private ObjectDetections Select(Tensor boxes, Tensor scores)
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
        var candidateBoxes = boxes.index_select(0, candidate).clamp(0, ImageSize);
        var kept = NonMaxSuppression.ApplyPerClass(candidateBoxes, candidateScores, classes, Thresholds.Iou);
        if (kept.shape[0] > Thresholds.MaxDetections)
            kept = kept.narrow(0, 0, Thresholds.MaxDetections);
        var keptBoxes = candidateBoxes.index_select(0, kept).cpu().data<float>().ToArray();
        var keptScores = candidateScores.index_select(0, kept).cpu().data<float>().ToArray();
        var keptClasses = classes.index_select(0, kept).cpu().data<long>().Select(c => (int)c).ToArray();
        return new ObjectDetections(keptBoxes, keptClasses, keptScores);
    }
}
