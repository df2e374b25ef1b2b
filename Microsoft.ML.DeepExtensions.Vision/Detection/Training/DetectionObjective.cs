using Microsoft.ML.DeepExtensions.Training;
using Microsoft.ML.DeepExtensions.Vision.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Training;

/// <summary>
/// The objective of every detector trainer: the detector's loss of named parts on augmented batches, and COCO AP
/// (with AP50 beside it, and MaskAP and MaskAP50 for a detector that predicts masks) on the validation images after
/// each epoch, early stopping keeping the weights of the best validation box AP.
/// </summary>
internal sealed class DetectionObjective : TrainingObjective<DetectionBatch>
{
    private readonly TrainableDetector _detector;
    private readonly DetectionAugmentation? _augmentation;
    private readonly DetectionBatchSource? _validation;
    private readonly IReadOnlyList<string> _classNames;

    public DetectionObjective(TrainableDetector detector, DetectionAugmentation? augmentation, DetectionBatchSource? validation, IReadOnlyList<string> classNames)
    {
        _detector = detector;
        _augmentation = augmentation;
        _validation = validation;
        _classNames = classNames;
    }

    public override IReadOnlyList<string> LossPartNames => _detector.LossPartNames;

    public override string MetricName => "AP";

    public override bool HasTrainingMetric => false;

    public override int Rows(DetectionBatch batch) => batch.Rows;

    public override void StartEpoch(int epoch, int epochs) => _augmentation?.StartEpoch(epoch, epochs);

    public override BatchLoss Forward(DetectionBatch batch)
    {
        if (_augmentation is not null)
            batch = _augmentation.Apply(batch);
        var (total, parts) = _detector.Loss(batch);
        return new BatchLoss(total, parts, null);
    }

    public override ValidationOutcome Validate(int batchSize, CancellationToken cancellation)
    {
        if (_validation is null)
            throw new InvalidOperationException("There is no validation data to score.");
        var (boxes, masks) = Evaluate(_detector, _validation, _classNames, batchSize, cancellation);
        var metrics = new Dictionary<string, double> { ["AP50"] = boxes.AP50 };
        if (masks is not null)
        {
            metrics["MaskAP"] = masks.AP;
            metrics["MaskAP50"] = masks.AP50;
        }
        return new ValidationOutcome(null, boxes.AP, -boxes.AP, metrics);
    }

    /// <summary>
    /// COCO metrics of the detector on a batch source's images, boxes compared in the letterboxed pixels (a uniform
    /// scale and shift, so IoUs, and so AP, are those of the original images; only the area ranges of APs/m/l differ);
    /// and, when the source keeps masks and the detector predicts them (a Mask R-CNN), the segmentation metrics too.
    /// </summary>
    internal static (DetectionMetrics Boxes, DetectionMetrics? Masks) Evaluate(TrainableDetector detector, DetectionBatchSource source, IReadOnlyList<string> classNames, int batchSize, CancellationToken cancellation)
    {
        int side = source.ImageSize;
        var truth = new List<GroundTruthObject[]>();
        var truthMasks = new List<InstanceMask[]?>();
        foreach (var example in source.Examples(cancellation))
        {
            var objects = new GroundTruthObject[example.Classes.Length];
            for (int k = 0; k < objects.Length; k++)
            {
                var box = XywhBox.FromCorners(example.Boxes[4 * k], example.Boxes[4 * k + 1], example.Boxes[4 * k + 2], example.Boxes[4 * k + 3]);
                objects[k] = new GroundTruthObject(example.Classes[k], box, box.Area, IsCrowd: false);
            }
            truth.Add(objects);
            truthMasks.Add(example.Masks);
        }

        var predictions = new List<PredictedObject[]>();
        var predictedMasks = new List<IReadOnlyList<InstanceMask>?>();
        detector.Module.eval();
        using (torch.no_grad())
        {
            using var batches = source.Batches(batchSize, shuffle: null, cancellation).GetEnumerator();
            while (true)
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = torch.NewDisposeScope();
                if (!batches.MoveNext())
                    break;
                foreach (var detections in detector.Detect(batches.Current.Images))
                {
                    var objects = new PredictedObject[detections.Count];
                    for (int k = 0; k < objects.Length; k++)
                    {
                        var d = detections[k];
                        objects[k] = new PredictedObject(d.ClassIndex, XywhBox.FromCorners(d.X0, d.Y0, d.X1, d.Y1), d.Score);
                    }
                    predictions.Add(objects);
                    predictedMasks.Add(detections.Masks);
                }
            }
        }
        var boxes = CocoEvaluator.Evaluate(new EvaluationSet(classNames, truth, predictions));
        if (truthMasks.Any(m => m is null) || predictedMasks.Any(m => m is null))
            return (boxes, null);

        // Segmentation IoU on the letterboxed canvas; a ground truth's area is its mask's, as COCO's is the segment's.
        var maskTruth = truth.Select((objects, i) => objects.Select((g, k) =>
        {
            var rle = RunLengthEncodedMask.FromInstanceMask(truthMasks[i]![k], side, side);
            return g with { Mask = rle, Area = rle.Area() };
        }).ToArray()).ToArray();
        var maskPredictions = predictions.Select((objects, i) => objects.Select((p, k) =>
            p with { Mask = RunLengthEncodedMask.FromInstanceMask(predictedMasks[i]![k], side, side) }).ToArray()).ToArray();
        return (boxes, CocoEvaluator.Evaluate(new EvaluationSet(classNames, maskTruth, maskPredictions, CocoIouType.Segmentation)));
    }
}
