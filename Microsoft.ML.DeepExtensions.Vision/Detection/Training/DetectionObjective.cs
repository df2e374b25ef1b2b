using Microsoft.ML.DeepExtensions.Training;
using Microsoft.ML.DeepExtensions.Vision.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Training;

/// <summary>
/// The objective of every detector trainer: the detector's loss of named parts on augmented batches, and COCO AP
/// (with AP50 beside it) on the validation images after each epoch, early stopping keeping the weights of the
/// best validation AP.
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
        var metrics = Evaluate(_detector, _validation, _classNames, batchSize, cancellation);
        return new ValidationOutcome(null, metrics.AP, -metrics.AP, new Dictionary<string, double> { ["AP50"] = metrics.AP50 });
    }

    /// <summary>
    /// COCO metrics of the detector on a batch source's images, boxes compared in the letterboxed pixels (a uniform
    /// scale and shift, so IoUs, and so AP, are those of the original images; only the area ranges of APs/m/l differ).
    /// </summary>
    internal static DetectionMetrics Evaluate(TrainableDetector detector, DetectionBatchSource source, IReadOnlyList<string> classNames, int batchSize, CancellationToken cancellation)
    {
        var truth = new List<IReadOnlyList<GroundTruthObject>>();
        foreach (var example in source.Examples(cancellation))
        {
            var objects = new GroundTruthObject[example.Classes.Length];
            for (int k = 0; k < objects.Length; k++)
            {
                var box = XywhBox.FromCorners(example.Boxes[4 * k], example.Boxes[4 * k + 1], example.Boxes[4 * k + 2], example.Boxes[4 * k + 3]);
                objects[k] = new GroundTruthObject(example.Classes[k], box, box.Area, IsCrowd: false);
            }
            truth.Add(objects);
        }

        var predictions = new List<IReadOnlyList<PredictedObject>>();
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
                }
            }
        }
        return CocoEvaluator.Evaluate(new EvaluationSet(classNames, truth, predictions));
    }
}
