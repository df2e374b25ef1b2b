using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Training;

/// <summary>
/// What a trainer tells the one <see cref="TrainingLoop"/>: how a batch becomes a loss (with named parts, such as
/// a detector's box, objectness and class losses), which metric it reports, and how the validation data is
/// scored after each epoch. The loop owns everything else: the optimizer, dispose scopes, clipping, the schedule,
/// early stopping with the best weights, progress and cancellation.
/// </summary>
/// <typeparam name="TBatch">The batch its <see cref="IBatchSource{TBatch}"/> yields.</typeparam>
internal abstract class TrainingObjective<TBatch>
{
    /// <summary>Names of the loss parts <see cref="Forward"/> returns in <see cref="BatchLoss.Parts"/>; empty for a one-part loss.</summary>
    public virtual IReadOnlyList<string> LossPartNames => Array.Empty<string>();

    /// <summary>The metric reported on the training batches and the validation data (e.g. <c>Accuracy</c>, <c>AP</c>).</summary>
    public abstract string MetricName { get; }

    /// <summary>True when <see cref="BatchLoss.MetricSum"/> is computed on training batches.</summary>
    public virtual bool HasTrainingMetric => true;

    /// <summary>Called before each epoch's first batch (0-based <paramref name="epoch"/> of <paramref name="epochs"/>), e.g. to change augmentation near the end.</summary>
    public virtual void StartEpoch(int epoch, int epochs)
    {
    }

    /// <summary>Rows (images) in <paramref name="batch"/>.</summary>
    public abstract int Rows(TBatch batch);

    /// <summary>Forward pass and loss of one training batch, the network in training mode, inside the loop's dispose scope.</summary>
    public abstract BatchLoss Forward(TBatch batch);

    /// <summary>A training metric sum over <paramref name="rows"/> rows turned into the reported value (e.g. a root for RMSE).</summary>
    public virtual double FinishMetric(double sum, long rows) => sum / Math.Max(rows, 1);

    /// <summary>Scores the validation data with the network in evaluation mode (the loop restores training mode).</summary>
    public abstract ValidationOutcome Validate(int batchSize, CancellationToken cancellation);
}

/// <summary>The loss of one batch.</summary>
/// <param name="Total">The scalar that is differentiated: a mean over the batch's rows.</param>
/// <param name="Parts">The named parts (<see cref="TrainingObjective{TBatch}.LossPartNames"/> order) as a detached
/// float vector whose sum is <paramref name="Total"/>; null for a one-part loss.</param>
/// <param name="MetricSum">The batch's contribution to the training metric as a float64 scalar; null when there is none.</param>
internal readonly record struct BatchLoss(Tensor Total, Tensor? Parts, Tensor? MetricSum);

/// <summary>What scoring the validation data gave.</summary>
/// <param name="Loss">Mean validation loss, when the objective computes one.</param>
/// <param name="Metric">The objective's metric (<see cref="TrainingObjective{TBatch}.MetricName"/>).</param>
/// <param name="Monitored">What early stopping minimises: the loss, or a metric where higher is better negated.</param>
/// <param name="Metrics">Further named metrics to report (e.g. <c>AP50</c>); null when there are none.</param>
internal sealed record ValidationOutcome(double? Loss, double Metric, double Monitored, IReadOnlyDictionary<string, double>? Metrics = null);
