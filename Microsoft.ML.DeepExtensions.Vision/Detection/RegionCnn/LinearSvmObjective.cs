using Microsoft.ML.DeepExtensions.Data;
using Microsoft.ML.DeepExtensions.Losses;
using Microsoft.ML.DeepExtensions.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;

/// <summary>
/// The objective of R-CNN's per-class linear SVMs for the one <see cref="TrainingLoop"/>: C independent SVMs
/// <c>s_c(x) = w_c·x + b_c</c> (one <c>Linear(D, C)</c>), each with its own positives and negatives, minimising
/// <c>λ/2·|w_c|² + (ω·Σ_pos h(s, 1) + Σ_neg h(s, 0)) / (ω·n_pos + n_neg)</c>, with <c>h</c> the project's
/// <see cref="HingeLoss"/> (<c>max(0, 1 − t·s)</c>, <c>t = ±1</c>) and <c>ω</c> the positives' weight.
/// </summary>
/// <remarks>Batches are <see cref="TrainingBatch"/>es whose targets are <c>[n, C]</c> floats: 1 a positive of that class,
/// 0 a negative, −1 not part of that class's training set.</remarks>
internal sealed class LinearSvmObjective : TrainingObjective<TrainingBatch>
{
    private readonly nn.Module<Tensor, Tensor> _svms;
    private readonly Tensor _weight;
    private readonly float _regularization;
    private readonly float _positiveWeight;
    private readonly HingeLoss _hinge = new();

    /// <param name="svms">The <c>Linear(D, C)</c> of the SVMs.</param>
    /// <param name="weight">Its weight <c>[C, D]</c> (the bias is not regularized).</param>
    /// <param name="regularization">λ.</param>
    /// <param name="positiveWeight">ω.</param>
    public LinearSvmObjective(nn.Module<Tensor, Tensor> svms, Tensor weight, float regularization, float positiveWeight)
    {
        _svms = svms;
        _weight = weight;
        _regularization = regularization;
        _positiveWeight = positiveWeight;
    }

    public override string MetricName => "Hinge";

    public override bool HasTrainingMetric => false;

    public override int Rows(TrainingBatch batch) => batch.Rows;

    public override BatchLoss Forward(TrainingBatch batch)
    {
        var scores = _svms.forward(batch.Features);
        var total = (0.5f * _regularization) * _weight.square().sum();
        for (int c = 0; c < scores.shape[1]; c++)
        {
            var classScores = scores[.., c];
            var target = batch.Targets[.., c];
            var positives = classScores.masked_select(target == 1);
            var negatives = classScores.masked_select(target == 0);
            long np = positives.shape[0], nn = negatives.shape[0];
            if (np + nn == 0)
                continue;
            double norm = _positiveWeight * np + nn;
            if (np > 0)
                total = total + _hinge.Compute(positives, torch.ones_like(positives), PredictionTask.BinaryClassification) * (_positiveWeight * np / norm);
            if (nn > 0)
                total = total + _hinge.Compute(negatives, torch.zeros_like(negatives), PredictionTask.BinaryClassification) * (nn / norm);
        }
        return new BatchLoss(total, null, null);
    }

    public override ValidationOutcome Validate(int batchSize, CancellationToken cancellation) =>
        throw new InvalidOperationException("The R-CNN SVMs are trained without validation data.");
}
