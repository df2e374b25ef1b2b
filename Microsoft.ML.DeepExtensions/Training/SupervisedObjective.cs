using Microsoft.ML.DeepExtensions.Data;
using Microsoft.ML.DeepExtensions.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Training;

/// <summary>
/// The objective of the classifiers and regressors: one output per row (or one per class), one label per row,
/// one <see cref="Loss"/>; accuracy (classification) or RMSE (regression) as the metric; early stopping on the
/// validation loss.
/// </summary>
internal sealed class SupervisedObjective : TrainingObjective<TrainingBatch>
{
    private readonly nn.Module<Tensor, Tensor> _network;
    private readonly PredictionTask _task;
    private readonly Loss _loss;
    private readonly BatchAugmentation? _augmentation;
    private readonly IBatchSource<TrainingBatch>? _validation;

    public SupervisedObjective(nn.Module<Tensor, Tensor> network, PredictionTask task, Loss loss, BatchAugmentation? augmentation, IBatchSource<TrainingBatch>? validation)
    {
        _network = network;
        _task = task;
        _loss = loss;
        _augmentation = augmentation;
        _validation = validation;
    }

    public override string MetricName => _task == PredictionTask.Regression ? "RootMeanSquaredError" : "Accuracy";

    public override int Rows(TrainingBatch batch) => batch.Rows;

    public override BatchLoss Forward(TrainingBatch batch)
    {
        var features = _augmentation is null ? batch.Features : _augmentation.Apply(batch.Features);
        var output = NetworkOutput.Shape(_network.forward(features), _task);
        var value = _loss.Compute(output, batch.Targets, _task);
        using var noGrad = torch.no_grad();
        return new BatchLoss(value, null, MetricSum(output.detach(), batch.Targets, _task));
    }

    public override double FinishMetric(double sum, long rows) =>
        _task == PredictionTask.Regression ? Math.Sqrt(sum / Math.Max(rows, 1)) : sum / Math.Max(rows, 1);

    public override ValidationOutcome Validate(int batchSize, CancellationToken cancellation)
    {
        if (_validation is null)
            throw new InvalidOperationException("There is no validation data to score.");
        var (loss, metric) = Evaluate(_validation, batchSize, cancellation);
        return new ValidationOutcome(loss, metric, loss);
    }

    /// <summary>Mean loss and the task's metric (accuracy or RMSE) over a batch source, in evaluation mode.</summary>
    internal (double Loss, double Metric) Evaluate(IBatchSource<TrainingBatch> source, int batchSize, CancellationToken cancellation)
    {
        _network.eval();
        double lossSum = 0, metricSum = 0;
        long rows = 0;
        using var noGrad = torch.no_grad();
        using var batches = source.Batches(batchSize, shuffle: null, cancellation).GetEnumerator();
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            if (!batches.MoveNext())
                break;
            var batch = batches.Current;
            var output = NetworkOutput.Shape(_network.forward(batch.Features), _task);
            lossSum += _loss.Compute(output, batch.Targets, _task).item<float>() * batch.Rows;
            metricSum += MetricSum(output, batch.Targets, _task).item<double>();
            rows += batch.Rows;
        }
        _network.train();
        return (lossSum / rows, FinishMetric(metricSum, rows));
    }

    /// <summary>
    /// A batch's contribution to the task's metric, as a float64 scalar on the batch's device:
    /// squared errors for regression, correct predictions for classification.
    /// </summary>
    private static Tensor MetricSum(Tensor output, Tensor targets, PredictionTask task) => task switch
    {
        PredictionTask.Regression => (output - targets).square().sum().to_type(ScalarType.Float64),
        PredictionTask.BinaryClassification => (output > 0).to_type(ScalarType.Float32).eq(targets).sum().to_type(ScalarType.Float64),
        _ => output.argmax(1).eq(targets).sum().to_type(ScalarType.Float64),
    };
}
