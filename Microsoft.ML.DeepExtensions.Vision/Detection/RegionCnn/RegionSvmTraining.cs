using Microsoft.ML.DeepExtensions.Optimizers;
using Microsoft.ML.DeepExtensions.Training;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;

/// <summary>
/// R-CNN's object category classifiers (section 2.3): one linear SVM per class on the cached region features, the
/// class's ground-truth boxes as positives, regions overlapping all of its objects by less than the negative threshold as
/// negatives, trained with hard-negative mining: a first round on random negatives, then each round adds the highest-scoring
/// unseen negatives inside the margin (<see cref="HardNegativeMining"/>) and trains again from where it stopped, until none
/// is left or the rounds are used up. Each round is a run of the one <see cref="TrainingLoop"/> with
/// <see cref="LinearSvmObjective"/> (Adam at 0.01, mini-batches of 1,024 regions).
/// </summary>
internal static class RegionSvmTraining
{
    /// <summary>The trained SVMs.</summary>
    /// <param name="Weights"><c>[C, D]</c>.</param>
    /// <param name="Biases"><c>[C]</c>.</param>
    public sealed record Result(float[] Weights, float[] Biases);

    /// <summary>Trains the SVMs of <paramref name="classCount"/> classes on <paramref name="cache"/>.</summary>
    public static Result Train(RegionFeatureCache cache, int classCount, RegionCnnTrainer.Options options, int seed, IChannel channel)
    {
        long regions = cache.Count;
        int d = (int)cache.Features.shape[1];
        var random = new Random(seed);
        using var svms = nn.Linear(d, classCount);
        using var scope = torch.NewDisposeScope();
        var classIndex = torch.arange(classCount, ScalarType.Int64).unsqueeze(0);
        var positives = cache.TruthClasses.unsqueeze(1) == classIndex;
        var negatives = (cache.Overlaps < options.SvmNegativeIouThreshold).logical_and(positives.logical_not());
        for (int c = 0; c < classCount; c++)
        {
            if (positives[.., c].sum().item<long>() == 0)
                channel.Warning(MessageSensitivity.None, $"Class {c} has no ground-truth box in the training data: its SVM only learns to reject.");
        }

        // Round 0's negatives: up to NegativesPerRound of each class at random.
        var active = torch.zeros(new long[] { regions, classCount }, ScalarType.Bool);
        for (int c = 0; c < classCount; c++)
        {
            var candidates = negatives[.., c].nonzero().squeeze(1).data<long>().ToArray();
            random.Shuffle(candidates);
            var first = candidates.Take(options.NegativesPerRound).ToArray();
            if (first.Length > 0)
                active.select(1, c).index_fill_(0, torch.tensor(first), true);
        }

        var stage = new StageOptions(options, seed);
        for (int round = 0; ; round++)
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            using (var roundScope = torch.NewDisposeScope())
            {
                var targets = torch.full(new long[] { regions, classCount }, -1f);
                targets.masked_fill_(active, 0f);
                targets.masked_fill_(positives, 1f);
                var source = new SvmTrainingSetSource(cache.Features, targets);
                channel.Info(MessageSensitivity.None, $"SVM round {round + 1}: {positives.sum().item<long>()} positives, {active.sum().item<long>()} negatives over {classCount} classes ({source.RowCount} regions).");
                var objective = new LinearSvmObjective(svms, svms.weight!, options.SvmRegularization, options.SvmPositiveWeight);
                TrainingLoop.Run(svms, objective, stage, source, validate: false, random, channel);
            }
            if (round >= options.HardNegativeRounds)
                break;
            int added = 0;
            using (var mineScope = torch.NewDisposeScope())
            using (torch.no_grad())
            {
                svms.eval();
                var scores = svms.forward(cache.Features);
                for (int c = 0; c < classCount; c++)
                {
                    var hard = HardNegativeMining.Select(scores[.., c], negatives[.., c].logical_and(active[.., c].logical_not()), options.NegativesPerRound);
                    if (hard.shape[0] == 0)
                        continue;
                    active.select(1, c).index_fill_(0, hard, true);
                    added += (int)hard.shape[0];
                }
            }
            channel.Info(MessageSensitivity.None, $"SVM hard-negative mining after round {round + 1}: {added} negatives inside the margin added.");
            if (added == 0)
                break;
        }

        return new Result(svms.weight!.detach().contiguous().data<float>().ToArray(), svms.bias!.detach().data<float>().ToArray());
    }

    /// <summary>The loop settings of an SVM round: Adam at 0.01, 1,024 regions per batch, the trainer's seed, cancellation and device-free (CPU) work.</summary>
    private sealed class StageOptions : DeepTrainerOptions
    {
        public StageOptions(RegionCnnTrainer.Options options, int seed)
        {
            Epochs = options.SvmEpochs;
            BatchSize = Microsoft.ML.DeepExtensions.Training.BatchSize.Of(1024);
            Optimizer = new Adam(0.01);
            EarlyStoppingPatience = 0;
            Seed = seed;
            CancellationToken = options.CancellationToken;
        }
    }
}
