using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo.Training;

/// <summary>
/// The YOLOv3 loss (Redmon and Farhadi, 2018, "YOLOv3: An Incremental Improvement"), in three named parts summed
/// over the grid and averaged over the images:
/// <list type="bullet">
/// <item><c>box</c>: each ground-truth box is the responsibility of one prediction, the anchor (over all scales) whose
/// shape overlaps it best, in the cell holding its centre; that prediction's box is regressed (<see cref="YoloBoxLoss"/>),
/// weighted by <c>2 - w·h / S²</c>;</item>
/// <item><c>objectness</c>: binary cross-entropy of every prediction's objectness, towards the target of
/// <see cref="YoloObjectnessTarget"/> for responsible predictions and 0 for the others, except those whose box overlaps
/// some ground truth of their image by more than the layer's ignore threshold (0.5), which are left out;</item>
/// <item><c>class</c>: binary cross-entropy of the responsible predictions' classes (independent logistic classifiers,
/// as YOLOv3, against one-hot targets).</item>
/// </list>
/// Everything is computed for the whole batch at once, without host round trips.
/// </summary>
internal sealed class YoloLoss
{
    /// <summary>The parts, in the order of the parts vector.</summary>
    public static IReadOnlyList<string> PartNames { get; } = new[] { "box", "objectness", "class" };

    private readonly IReadOnlyList<YoloHead> _heads;
    private readonly YoloLayerDecoder[] _decoders;
    private readonly float[] _anchors;
    private readonly int _classes;
    private readonly int _imageSize;
    private readonly YoloBoxLoss _boxLoss;
    private readonly YoloObjectnessTarget _objectnessTarget;
    private readonly float? _anchorMatchThreshold;
    private readonly float _classWeight;

    /// <param name="heads">The YOLO layers, in the network's output order; they share the network's anchors and class count.</param>
    /// <param name="imageSize">The network input's side.</param>
    /// <param name="boxLoss">How boxes are regressed.</param>
    /// <param name="objectnessTarget">What responsible predictions' objectness is trained towards.</param>
    /// <param name="anchorMatchThreshold">
    /// Null: each object has one responsible anchor, the best (YOLOv3). Otherwise every anchor whose shape IoU with the
    /// object exceeds this is responsible too, in its own head's cell holding the centre (AlexeyAB's Darknet
    /// <c>iou_thresh</c>; YOLOv4 uses 0.213): several positives per object, so classes and boxes learn from more samples.
    /// </param>
    /// <param name="classWeight">The factor of the <c>class</c> part (it is reported weighted, so the parts add up to the total).</param>
    public YoloLoss(IReadOnlyList<YoloHead> heads, int imageSize, YoloBoxLoss boxLoss, YoloObjectnessTarget objectnessTarget, float? anchorMatchThreshold = null, float classWeight = 1)
    {
        _anchorMatchThreshold = anchorMatchThreshold;
        _classWeight = classWeight;
        _heads = heads;
        _decoders = heads.Select(h => new YoloLayerDecoder(h)).ToArray();
        _anchors = heads[0].Settings.AllAnchors.SelectMany(a => new[] { a.Width, a.Height }).ToArray();
        _classes = heads[0].Classes;
        _imageSize = imageSize;
        _boxLoss = boxLoss;
        _objectnessTarget = objectnessTarget;
    }

    /// <summary>The loss of a batch.</summary>
    /// <param name="outputs">The raw output of each head, <c>[N, A·(5 + C), H, W]</c>.</param>
    /// <param name="targets"><c>[T, 6]</c>: image index, class, x0 y0 x1 y1 in network-input pixels.</param>
    /// <param name="batchSize"><c>N</c>.</param>
    /// <returns>The total (to differentiate) and the detached parts <c>[box, objectness, class]</c>.</returns>
    public (Tensor Total, Tensor Parts) Compute(IReadOnlyList<Tensor> outputs, Tensor targets, long batchSize)
    {
        if (outputs.Count != _heads.Count)
            throw new InvalidOperationException($"The network gave {outputs.Count} YOLO outputs; the loss was built for {_heads.Count}.");
        var device = outputs[0].device;
        var allAnchors = torch.tensor(_anchors, device: device).view(-1, 2);
        var image = targets[.., 0].to_type(ScalarType.Int64);
        var classIndex = targets[.., 1].to_type(ScalarType.Int64);
        var boxes = targets[.., 2..6];
        var size = boxes[.., 2..4] - boxes[.., 0..2];
        var center = (boxes[.., 0..2] + boxes[.., 2..4]) / 2;
        // The responsible anchors of each object: the best shape overlap over all the network's anchors, and with a
        // match threshold every other anchor that overlaps it enough. One (object, anchor) pair per positive.
        var shapeIou = ShapeIou(size, allAnchors);
        var responsible = nn.functional.one_hot(shapeIou.argmax(1), allAnchors.shape[0]).to_type(ScalarType.Bool);
        if (_anchorMatchThreshold is { } threshold)
            responsible = responsible.logical_or(shapeIou > threshold);
        var pairs = responsible.nonzero();
        var pairObject = pairs[.., 0];
        var pairAnchor = pairs[.., 1];
        var areaWeight = 2 - size[.., 0] * size[.., 1] / (_imageSize * (float)_imageSize);

        Tensor boxLoss = torch.zeros(1, device: device), objectnessLoss = torch.zeros(1, device: device), classLoss = torch.zeros(1, device: device);
        for (int h = 0; h < _heads.Count; h++)
        {
            var head = _heads[h];
            var mask = torch.tensor(head.Mask.Select(m => (long)m).ToArray(), device: device);
            var grid = new YoloGrid(outputs[h], _decoders[h], allAnchors.index_select(0, mask));
            var objectness = grid.Predictions[TensorIndex.Ellipsis, 4];

            // Objects this head is responsible for, and their cells.
            var local = torch.full(allAnchors.shape[0], -1L, dtype: ScalarType.Int64, device: device)
                .index_put_(torch.arange(mask.shape[0], device: device), mask);
            var anchorInHead = local.index_select(0, pairAnchor);
            var minePairs = (anchorInHead >= 0).nonzero().view(-1);
            var mine = pairObject.index_select(0, minePairs);
            var b = image.index_select(0, mine);
            var a = anchorInHead.index_select(0, minePairs);
            var cellX = center[.., 0].index_select(0, mine) / grid.StrideX;
            var cellY = center[.., 1].index_select(0, mine) / grid.StrideY;
            var column = cellX.floor().clamp(0, grid.Width - 1).to_type(ScalarType.Int64);
            var row = cellY.floor().clamp(0, grid.Height - 1).to_type(ScalarType.Int64);
            var cell = new[] { b, a, row, column };

            var predictedBoxes = grid.Boxes.index(cell.Select(TensorIndex.Tensor).ToArray());
            var truthBoxes = boxes.index_select(0, mine);
            var weight = areaWeight.index_select(0, mine);

            // Box regression.
            if (_boxLoss == YoloBoxLoss.SquaredError)
            {
                var anchorSize = grid.Anchors.index_select(0, a);
                var predictions = grid.Predictions.index(cell.Select(TensorIndex.Tensor).ToArray());
                var offsetX = grid.CenterOffsets.X.index(cell.Select(TensorIndex.Tensor).ToArray());
                var offsetY = grid.CenterOffsets.Y.index(cell.Select(TensorIndex.Tensor).ToArray());
                var logSize = (size.index_select(0, mine) / anchorSize).log();
                var error = (offsetX - (cellX - column)).square() + (offsetY - (cellY - row)).square()
                    + (predictions[.., 2] - logSize[.., 0]).square() + (predictions[.., 3] - logSize[.., 1]).square();
                boxLoss = boxLoss + (error * weight).sum();
            }
            else
            {
                var iouLoss = _boxLoss == YoloBoxLoss.GIoU ? BoxIouLoss.Generalized(predictedBoxes, truthBoxes) : BoxIouLoss.Complete(predictedBoxes, truthBoxes);
                boxLoss = boxLoss + (iouLoss * weight).sum();
            }

            // Objectness: background everywhere except the responsible cells and the predictions close to an object.
            Tensor target, counted;
            using (torch.no_grad())
            {
                var bestOverlap = BestOverlapWithImageObjects(grid.Boxes, boxes, image);
                counted = (bestOverlap <= head.IgnoreThreshold).to_type(ScalarType.Float32);
                target = torch.zeros_like(objectness);
                var positive = _objectnessTarget == YoloObjectnessTarget.One
                    ? torch.ones(mine.shape[0], device: device)
                    : BoxIou.Aligned(predictedBoxes.detach(), truthBoxes, 1e-9).clamp(0, 1);
                target.index_put_(positive, cell.Select(TensorIndex.Tensor).ToArray());
                counted.index_put_(torch.ones(mine.shape[0], device: device), cell.Select(TensorIndex.Tensor).ToArray());
            }
            objectnessLoss = objectnessLoss + nn.functional.binary_cross_entropy_with_logits(objectness, target, weight: counted, reduction: nn.Reduction.Sum);

            // Classes of the responsible predictions.
            var classLogits = grid.Predictions.index(cell.Select(TensorIndex.Tensor).ToArray())[.., 5..];
            var oneHot = nn.functional.one_hot(classIndex.index_select(0, mine), _classes).to_type(ScalarType.Float32);
            classLoss = classLoss + nn.functional.binary_cross_entropy_with_logits(classLogits, oneHot, reduction: nn.Reduction.Sum);
        }

        var parts = torch.cat(new[] { boxLoss, objectnessLoss, classLoss * _classWeight }) / batchSize;
        return (parts.sum(), parts.detach());
    }

    /// <summary>IoU of boxes' shapes <c>[T, 2]</c> with anchors' shapes <c>[K, 2]</c>, both placed at the same centre: <c>[T, K]</c>.</summary>
    internal static Tensor ShapeIou(Tensor sizes, Tensor anchors)
    {
        var intersection = torch.minimum(sizes[.., 0].unsqueeze(1), anchors[.., 0].unsqueeze(0))
            * torch.minimum(sizes[.., 1].unsqueeze(1), anchors[.., 1].unsqueeze(0));
        var union = (sizes[.., 0] * sizes[.., 1]).unsqueeze(1) + (anchors[.., 0] * anchors[.., 1]).unsqueeze(0) - intersection;
        return intersection / union;
    }

    /// <summary>For every predicted box <c>[N, A, H, W, 4]</c>, its best IoU with the objects of its own image: <c>[N, A, H, W]</c>.</summary>
    private static Tensor BestOverlapWithImageObjects(Tensor predicted, Tensor objects, Tensor objectImage)
    {
        var shape = predicted.shape[..^1];
        if (objects.shape[0] == 0)
            return torch.zeros(shape, device: predicted.device);
        long n = predicted.shape[0];
        var flat = predicted.reshape(n, -1, 4);
        var overlaps = BoxIou.Pairwise(flat.reshape(-1, 4), objects).view(n, -1, objects.shape[0]);
        var sameImage = torch.arange(n, device: predicted.device).view(n, 1, 1) == objectImage.view(1, 1, -1);
        return torch.where(sameImage, overlaps, torch.zeros_like(overlaps)).amax(-1).view(shape);
    }
}
