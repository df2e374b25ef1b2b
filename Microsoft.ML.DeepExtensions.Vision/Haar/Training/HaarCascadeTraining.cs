using System.Diagnostics;
using System.Globalization;

namespace Microsoft.ML.DeepExtensions.Vision.Haar.Training;

/// <summary>The settings of one training run, checked by <see cref="HaarCascadeEstimator.Options"/>.</summary>
internal sealed record HaarTrainingSettings(int WindowWidth, int WindowHeight, int StageCount, double MinHitRate, double MaxFalseAlarmRate,
    int MaxWeakCount, int NegativesPerStage, HaarFeatureMode FeatureMode, long FeatureCacheBytes, int MaxDegreeOfParallelism, int Seed);

/// <summary>A trained cascade, the report of each stage, and why training stopped.</summary>
internal sealed record HaarTrainingResult(HaarCascade Cascade, IReadOnlyList<HaarStageProgress> Stages, string StopReason);

/// <summary>
/// Trains a Haar cascade stage by stage, as <c>opencv_traincascade</c> does: the positives every
/// stage so far accepts and freshly mined hard negatives train the next stage with Gentle AdaBoost;
/// training stops after the requested number of stages, or earlier once the cascade's false-alarm
/// rate on the negative images is at most <c>MaxFalseAlarmRate^StageCount</c> (no more negatives to
/// learn from).
/// </summary>
internal static class HaarCascadeTraining
{
    public static HaarTrainingResult Train(IReadOnlyList<GrayImage> positiveImages, IReadOnlyList<GrayImage> negativeImages, HaarTrainingSettings settings,
        IProgress<HaarStageProgress>? progress, Action<string> log, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        int w = settings.WindowWidth, h = settings.WindowHeight;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = settings.MaxDegreeOfParallelism, CancellationToken = cancellation };
        var pool = HaarFeaturePool.Generate(w, h, settings.FeatureMode);
        bool tilted = settings.FeatureMode == HaarFeatureMode.All;

        var positives = new TrainingWindows(w, h, tilted, positiveImages.Count);
        int flat = AddPositives(positiveImages, positives);
        if (positives.Count == 0)
            throw new InvalidOperationException($"None of the {positiveImages.Count} positive windows has enough contrast for the detector to evaluate it (a standard deviation above 10 grey levels inside the window's border).");
        if (flat > 0)
            log($"left out {flat} of {positiveImages.Count} positive windows whose contrast is too low for the detector to evaluate (standard deviation at most 10 grey levels)");
        var nodes = pool.Select(f => CompiledCascade.Compile(f, positives.Stride, positives.TiltedOffset)).ToArray();
        log(string.Create(CultureInfo.InvariantCulture,
            $"training a {w}x{h} cascade of up to {settings.StageCount} stages from {positives.Count} positives and {negativeImages.Count} negative images, {pool.Count} {settings.FeatureMode} features"));

        double targetFalseAlarm = Math.Pow(settings.MaxFalseAlarmRate, settings.StageCount);
        long maxTries = (long)Math.Min(long.MaxValue / 2, Math.Ceiling(settings.NegativesPerStage / targetFalseAlarm));
        // The positives' sorted columns live for the whole training; each stage's columns are rebuilt.
        int cached = PresortedFeatures.CacheCapacity(settings.FeatureCacheBytes, positives.Count + settings.NegativesPerStage, positives.Count, nodes.Length);
        var sortedPositives = new SortedPositiveColumns(positives, nodes, cached, parallel, cancellation);
        var miner = new NegativeWindowMiner(negativeImages, w, h, tilted, new Random(settings.Seed));
        var stages = new List<TrainedStage>();
        PresortedFeatures? previous = null;
        var reports = new List<HaarStageProgress>();
        string stopReason = $"trained the requested {settings.StageCount} stages";
        for (int s = 0; s < settings.StageCount; s++)
        {
            cancellation.ThrowIfCancellationRequested();
            if (s > 0)
            {
                var keep = Accepted(positives, nodes, stages[^1]);
                positives.Retain(keep);
                sortedPositives.Retain(keep, parallel);
                if (positives.Count == 0)
                {
                    stopReason = $"no positive passes the {s} stages any more";
                    break;
                }
            }
            var cascadeSoFar = s == 0 ? EmptyCascade.Create(w, h) : Build(stages, pool, w, h);
            var negatives = new TrainingWindows(w, h, tilted, settings.NegativesPerStage);
            var mined = miner.Mine(cascadeSoFar, settings.NegativesPerStage, maxTries, negatives, cancellation);
            if (mined.Found == 0 && s == 0)
                throw new InvalidOperationException($"No window of the {negativeImages.Count} negative images has enough contrast for the detector to evaluate it (tried {mined.Tried}).");
            if (mined.Found < settings.NegativesPerStage)
            {
                if (s > 0)
                {
                    stopReason = string.Create(CultureInfo.InvariantCulture,
                        $"the required false-alarm rate {targetFalseAlarm:G3} is reached: {mined.Found} of {mined.Tried} negative windows pass the {s} stages");
                    break;
                }
                log($"found only {mined.Found} usable negative windows in {mined.Tried} tries; training the first stage on them");
            }

            var samples = new TrainingWindows(w, h, tilted, positives.Count + negatives.Count);
            samples.AddRange(positives);
            samples.AddRange(negatives);
            // A stage has at most the first stage's samples (positives only shrink), so its columns fit the previous ones' memory.
            var features = previous = new PresortedFeatures(samples, sortedPositives, nodes, cached, parallel, cancellation, previous);
            var stage = HaarStageTrainer.Train(features, positives.Count, settings.MinHitRate, settings.MaxFalseAlarmRate, settings.MaxWeakCount, parallel, cancellation);
            stages.Add(stage);
            var report = new HaarStageProgress(s + 1, settings.StageCount, positives.Count, negatives.Count, mined.AcceptanceRatio,
                stage.Stumps.Count, stage.HitRate, stage.FalseAlarmRate, clock.Elapsed);
            reports.Add(report);
            log(report.ToString());
            progress?.Report(report);
        }
        if (stages.Count == 0)
            throw new InvalidOperationException("Training produced no stage.");
        log($"training stopped: {stopReason}");
        return new HaarTrainingResult(Build(stages, pool, w, h), reports, stopReason);
    }

    // Positives come at any size; they are resampled to the window as the detector resamples images.
    private static unsafe int AddPositives(IReadOnlyList<GrayImage> images, TrainingWindows destination)
    {
        int w = destination.WindowWidth, h = destination.WindowHeight;
        var window = new byte[w * h];
        int flat = 0;
        foreach (var image in images)
        {
            fixed (byte* source = image.Pixels)
            fixed (byte* target = window)
                ExactBilinearResize.Resize(source, image.Width, image.Height, image.Width, target, w, h, w);
            if (!destination.TryAdd(window, w))
                flat++;
        }
        return flat;
    }

    // The next stage trains on the positives the cascade so far still finds, as opencv_traincascade does.
    private static bool[] Accepted(TrainingWindows positives, CompiledCascade.Node[] nodes, TrainedStage stage)
    {
        var sums = new double[positives.Count];
        var values = new float[positives.Count];
        foreach (var stump in stage.Stumps)
        {
            positives.FeatureColumn(in nodes[stump.Feature], values);
            for (int i = 0; i < sums.Length; i++)
                sums[i] += stump.Evaluate(values[i]);
        }
        float effective = stage.Threshold - CompiledCascade.StageThresholdEpsilon;
        return sums.Select(sum => !(sum < effective)).ToArray();
    }

    // The cascade file holds only the features the stumps use, numbered in order of first use.
    private static HaarCascade Build(IReadOnlyList<TrainedStage> stages, IReadOnlyList<HaarFeature> pool, int w, int h)
    {
        var index = new Dictionary<int, int>();
        var used = new List<HaarFeature>();
        var cascadeStages = new List<HaarStage>();
        foreach (var stage in stages)
        {
            var trees = new List<HaarTree>();
            foreach (var stump in stage.Stumps)
            {
                if (!index.TryGetValue(stump.Feature, out int f))
                {
                    f = used.Count;
                    index.Add(stump.Feature, f);
                    used.Add(pool[stump.Feature]);
                }
                trees.Add(HaarTree.Stump(f, stump.Threshold, stump.LeftValue, stump.RightValue));
            }
            cascadeStages.Add(new HaarStage(stage.Threshold, trees));
        }
        return new HaarCascade(w, h, cascadeStages, used);
    }
}
