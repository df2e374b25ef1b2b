using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Scoring;
using TorchSharp;

namespace DeepExtensions.Cli.Bench;

/// <summary>
/// <c>deepext bench tabular</c>: the ML.NET pipeline against a bare TorchSharp loop on the same MLP
/// and the same data, in one process, alternating, after a warm-up of both; then scoring through
/// <c>Transform</c>, <c>PredictionEngine</c> and a bare batched forward. Prints a table and, as the
/// last stdout line, one JSON object.
/// </summary>
public static class TabularBenchmark
{
    /// <summary>The ratio pipeline/bare the pipeline should reach.</summary>
    public const double TargetRatio = 0.9;

    /// <summary>
    /// The relative difference of the two sides' last training losses above which the run is flagged: they start
    /// from the same weights and differ only in the shuffling order, so their losses should agree closely.
    /// </summary>
    public const double MaxLossDifference = 0.05;

    public static int Run(TabularBenchOptions options, TextWriter stdout, TextWriter stderr, CancellationToken cancellation = default)
    {
        var total = Stopwatch.StartNew();
        TorchBackend.EnsureStarted();
        torch.set_num_threads(options.Threads);
        int threads = torch.get_num_threads();

        var generation = Stopwatch.StartNew();
        var data = SyntheticTabularData.Generate(options.Task, options.Rows, options.Features, options.Classes, options.Seed);
        var mlContext = new MLContext(options.Seed);
        var view = data.ToDataView(mlContext, options.RowCountKnown);
        generation.Stop();
        stderr.WriteLine($"bench: generated {data.Rows:N0} rows × {data.FeatureCount} features ({options.TaskName}) in {generation.Elapsed.TotalSeconds:F2} s; torch threads {threads}");

        var pipeline = new PipelineSide(mlContext, view, data, options);
        var bare = new BareTorchSide(data, options);

        // Warm-up, twice on both paths: JIT tiering (methods called once per run, such as the data pass, are
        // promoted only on a later call), the native allocator and TorchSharp's first calls.
        stderr.WriteLine("bench: warm-up (2 × 1 epoch each)");
        for (int i = 0; i < 2; i++)
        {
            pipeline.Train(1, cancellation).Model.Dispose();
            bare.Train(1, cancellation);
        }

        var pipelineRuns = new List<TrainingRun>();
        var bareRuns = new List<TrainingRun>();
        NetworkPredictionTransformer? model = null;
        try
        {
            for (int repeat = 1; repeat <= options.Repeats; repeat++)
            {
                var (pipelineRun, fitted) = pipeline.Train(options.Epochs, cancellation);
                model?.Dispose();
                model = fitted;
                pipelineRuns.Add(pipelineRun);
                stderr.WriteLine($"bench: repeat {repeat}/{options.Repeats} pipeline {Describe(pipelineRun)}");

                var bareRun = bare.Train(options.Epochs, cancellation);
                bareRuns.Add(bareRun);
                stderr.WriteLine($"bench: repeat {repeat}/{options.Repeats} bare     {Describe(bareRun)}");
            }

            var trained = model ?? throw new InvalidOperationException("No training run finished.");
            var transformRuns = new List<ScoringRun>();
            var engineRuns = new List<ScoringRun>();
            var bareScoreRuns = new List<ScoringRun>();
            if (options.Scoring)
            {
                stderr.WriteLine("bench: scoring warm-up");
                pipeline.ScoreWithTransform(trained);
                pipeline.ScoreWithPredictionEngine(trained, Math.Min(options.ScoringRows, 1000));
                bare.Score(trained.Module, trained.ScoringBatchSize);
                for (int repeat = 1; repeat <= options.Repeats; repeat++)
                {
                    cancellation.ThrowIfCancellationRequested();
                    Collect();
                    transformRuns.Add(pipeline.ScoreWithTransform(trained));
                    Collect();
                    engineRuns.Add(pipeline.ScoreWithPredictionEngine(trained, options.ScoringRows));
                    Collect();
                    bareScoreRuns.Add(bare.Score(trained.Module, trained.ScoringBatchSize));
                    stderr.WriteLine($"bench: scoring repeat {repeat}/{options.Repeats}: transform {transformRuns[^1].RowsPerSecond:N0} rows/s, " +
                        $"prediction engine {engineRuns[^1].RowsPerSecond:N0} rows/s, bare forward {bareScoreRuns[^1].RowsPerSecond:N0} rows/s");
                }
            }

            var report = new Report(options, threads, data, pipelineRuns, bareRuns, transformRuns, engineRuns, bareScoreRuns,
                trained.ScoringBatchSize, generation.Elapsed.TotalSeconds, total.Elapsed.TotalSeconds);
            if (report.LossDifference > MaxLossDifference)
                stderr.WriteLine($"bench: warning: the final training losses differ by {report.LossDifference:P1} (pipeline {pipelineRuns[^1].FinalLoss:G5}, " +
                    $"bare {bareRuns[^1].FinalLoss:G5}): the two sides may not train the same network on the same rows, so the comparison is suspect.");
            report.WriteTable(stdout);
            stdout.WriteLine(report.ToJson());
            return 0;
        }
        finally
        {
            model?.Dispose();
        }
    }

    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static string Describe(TrainingRun run) =>
        $"{run.Seconds,6:F2} s, {run.RowsPerSecond,9:N0} rows/s (epochs {run.EpochMedianRowsPerSecond,9:N0} rows/s, setup {run.SetupSeconds:F3} s), " +
        $"loss {run.FinalLoss:F4}, peak {BenchStats.Megabytes(run.PeakBytes):N0} MB (+{BenchStats.Megabytes(run.PeakBytes - run.StartBytes):N0}), " +
        $"managed alloc {BenchStats.Megabytes(run.AllocatedBytes):N1} MB; epoch rows/s [{string.Join(", ", run.EpochRowsPerSecond.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))}]";

    private sealed class Report
    {
        private readonly TabularBenchOptions _options;
        private readonly int _threads;
        private readonly SyntheticTabularData _data;
        private readonly IReadOnlyList<TrainingRun> _pipeline;
        private readonly IReadOnlyList<TrainingRun> _bare;
        private readonly IReadOnlyList<ScoringRun> _transform;
        private readonly IReadOnlyList<ScoringRun> _engine;
        private readonly IReadOnlyList<ScoringRun> _bareScore;
        private readonly int _scoringBatchSize;
        private readonly double _generationSeconds;
        private readonly double _totalSeconds;

        public Report(TabularBenchOptions options, int threads, SyntheticTabularData data, IReadOnlyList<TrainingRun> pipeline, IReadOnlyList<TrainingRun> bare,
            IReadOnlyList<ScoringRun> transform, IReadOnlyList<ScoringRun> engine, IReadOnlyList<ScoringRun> bareScore, int scoringBatchSize,
            double generationSeconds, double totalSeconds)
        {
            _options = options;
            _threads = threads;
            _data = data;
            _pipeline = pipeline;
            _bare = bare;
            _transform = transform;
            _engine = engine;
            _bareScore = bareScore;
            _scoringBatchSize = scoringBatchSize;
            _generationSeconds = generationSeconds;
            _totalSeconds = totalSeconds;
        }

        /// <summary>Relative difference of the last training losses of the last runs.</summary>
        public double LossDifference => Math.Abs(_pipeline[^1].FinalLoss - _bare[^1].FinalLoss) / Math.Max(Math.Abs(_bare[^1].FinalLoss), 1e-12);

        private double PipelineRate => BenchStats.Median(_pipeline.Select(r => r.RowsPerSecond));

        private double BareRate => BenchStats.Median(_bare.Select(r => r.RowsPerSecond));

        private double PipelineEpochRate => BenchStats.Median(_pipeline.SelectMany(r => r.EpochRowsPerSecond));

        private double BareEpochRate => BenchStats.Median(_bare.SelectMany(r => r.EpochRowsPerSecond));

        private double BestRatio => _pipeline.Max(r => r.RowsPerSecond) / _bare.Max(r => r.RowsPerSecond);

        private double BestEpochRatio => _pipeline.Max(r => r.EpochRowsPerSecond.Max()) / _bare.Max(r => r.EpochRowsPerSecond.Max());

        private static double MedianOf(IEnumerable<TrainingRun> runs, Func<TrainingRun, double> value) => BenchStats.Median(runs.Select(value));

        private static double MedianOf(IEnumerable<ScoringRun> runs) => BenchStats.Median(runs.Select(r => r.RowsPerSecond));

        private string Network => $"MLP {_data.FeatureCount} → [{string.Join(", ", _options.Hidden)}] → {_options.Outputs}";

        public void WriteTable(TextWriter w)
        {
            var c = CultureInfo.InvariantCulture;
            w.WriteLine(string.Format(c, "deepext bench tabular: {0}, {1:N0} rows × {2} features{3}, {4}, ReLU, Adam lr {5}, batch {6}, {7} epochs, shuffle on",
                _options.TaskName, _data.Rows, _data.FeatureCount, _options.Task == TabularBenchTask.Multiclass ? $", {_options.Classes} classes" : "",
                Network, _options.LearningRate, _options.BatchSize, _options.Epochs));
            w.WriteLine(string.Format(c, "{0} torch threads, {1} processors, {2} timed repeats per side alternating after a warm-up, medians; IDataView row count {3}; .NET {4}",
                _threads, Environment.ProcessorCount, _options.Repeats, _options.RowCountKnown ? "known" : "unknown", Environment.Version));
            w.WriteLine();
            w.WriteLine(string.Format(c, "{0,-30} {1,12} {2,14} {3,9} {4,11} {5,10} {6,12} {7,10}",
                "Training", "rows/s", "epoch rows/s", "setup s", "peak RSS MB", "+RSS MB", "managed MB", "last loss"));
            Row(w, "ML.NET pipeline Fit()", _pipeline);
            Row(w, "bare TorchSharp loop", _bare);
            w.WriteLine(string.Format(c, "{0,-30} {1,12:F3} {2,14:F3}   target ≥ {3:F2}: {4}",
                "ratio pipeline/bare", PipelineRate / BareRate, PipelineEpochRate / BareEpochRate, TargetRatio,
                PipelineRate / BareRate >= TargetRatio ? "met" : "NOT met"));
            w.WriteLine(string.Format(c, "{0,-30} {1,12:F3} {2,14:F3}   (fastest run / fastest epoch of each side: less sensitive to a busy machine)",
                "best-of ratio", BestRatio, BestEpochRatio));

            if (_transform.Count > 0)
            {
                w.WriteLine();
                w.WriteLine(string.Format(c, "{0,-30} {1,12} {2,10}", "Scoring (trained model)", "rows/s", "rows"));
                w.WriteLine(string.Format(c, "{0,-30} {1,12:N0} {2,10:N0}", $"Transform, batches of {_scoringBatchSize}", MedianOf(_transform), _transform[0].Rows));
                w.WriteLine(string.Format(c, "{0,-30} {1,12:N0} {2,10:N0}", "PredictionEngine, row by row", MedianOf(_engine), _engine[0].Rows));
                w.WriteLine(string.Format(c, "{0,-30} {1,12:N0} {2,10:N0}", $"bare forward, batches of {_scoringBatchSize}", MedianOf(_bareScore), _bareScore[0].Rows));
                w.WriteLine(string.Format(c, "{0,-30} {1,12:F2}", "ratio Transform/Engine", MedianOf(_transform) / MedianOf(_engine)));
                w.WriteLine(string.Format(c, "{0,-30} {1,12:F3}", "ratio Transform/bare forward", MedianOf(_transform) / MedianOf(_bareScore)));
            }

            w.WriteLine();
            w.WriteLine(string.Format(c, "Memory: peak RSS per run ({0}); process peak working set {1:N0} MB; data: {2:N1} MB flat arrays + the row objects.",
                MemoryProbe.Method, BenchStats.Megabytes(MemoryProbe.ProcessPeakBytes()), BenchStats.Megabytes(_data.FlatBytes)));
            w.WriteLine(string.Format(c, "setup s = wall time outside the epochs (pipeline: schema, network, IDataView → tensors; bare: network, arrays → tensors). " +
                "Data generation {0:F2} s; whole benchmark {1:F1} s.", _generationSeconds, _totalSeconds));
        }

        private static void Row(TextWriter w, string name, IReadOnlyList<TrainingRun> runs) =>
            w.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,-30} {1,12:N0} {2,14:N0} {3,9:F3} {4,11:N0} {5,10:N0} {6,12:N1} {7,10:F4}",
                name,
                MedianOf(runs, r => r.RowsPerSecond),
                BenchStats.Median(runs.SelectMany(r => r.EpochRowsPerSecond)),
                MedianOf(runs, r => r.SetupSeconds),
                BenchStats.Megabytes((long)MedianOf(runs, r => r.PeakBytes)),
                BenchStats.Megabytes((long)MedianOf(runs, r => r.PeakBytes - r.StartBytes)),
                BenchStats.Megabytes((long)MedianOf(runs, r => r.AllocatedBytes)),
                runs[^1].FinalLoss));

        public string ToJson()
        {
            var json = new JsonObject
            {
                ["benchmark"] = "tabular",
                ["task"] = _options.TaskName,
                ["rows"] = _data.Rows,
                ["features"] = _data.FeatureCount,
                ["classes"] = _options.Task == TabularBenchTask.Multiclass ? _options.Classes : null,
                ["hidden"] = new JsonArray(_options.Hidden.Select(h => (JsonNode?)h).ToArray()),
                ["epochs"] = _options.Epochs,
                ["batchSize"] = _options.BatchSize,
                ["threads"] = _threads,
                ["repeats"] = _options.Repeats,
                ["rowCountKnown"] = _options.RowCountKnown,
                ["pipelineRowsPerSecond"] = Round(PipelineRate),
                ["bareRowsPerSecond"] = Round(BareRate),
                ["ratio"] = Round(PipelineRate / BareRate, 3),
                ["pipelineEpochRowsPerSecond"] = Round(PipelineEpochRate),
                ["bareEpochRowsPerSecond"] = Round(BareEpochRate),
                ["steadyStateRatio"] = Round(PipelineEpochRate / BareEpochRate, 3),
                ["bestRatio"] = Round(BestRatio, 3),
                ["bestSteadyStateRatio"] = Round(BestEpochRatio, 3),
                ["targetRatio"] = TargetRatio,
                ["targetMet"] = PipelineRate / BareRate >= TargetRatio,
                ["pipelineSetupSeconds"] = Round(MedianOf(_pipeline, r => r.SetupSeconds), 4),
                ["bareSetupSeconds"] = Round(MedianOf(_bare, r => r.SetupSeconds), 4),
                ["pipelinePeakRssMB"] = Round(BenchStats.Megabytes((long)MedianOf(_pipeline, r => r.PeakBytes)), 1),
                ["barePeakRssMB"] = Round(BenchStats.Megabytes((long)MedianOf(_bare, r => r.PeakBytes)), 1),
                ["pipelineRssIncreaseMB"] = Round(BenchStats.Megabytes((long)MedianOf(_pipeline, r => r.PeakBytes - r.StartBytes)), 1),
                ["bareRssIncreaseMB"] = Round(BenchStats.Megabytes((long)MedianOf(_bare, r => r.PeakBytes - r.StartBytes)), 1),
                ["pipelineManagedAllocatedMB"] = Round(BenchStats.Megabytes((long)MedianOf(_pipeline, r => r.AllocatedBytes)), 1),
                ["bareManagedAllocatedMB"] = Round(BenchStats.Megabytes((long)MedianOf(_bare, r => r.AllocatedBytes)), 1),
                ["processPeakWorkingSetMB"] = Round(BenchStats.Megabytes(MemoryProbe.ProcessPeakBytes()), 1),
                ["pipelineFinalLoss"] = Round(_pipeline[^1].FinalLoss, 5),
                ["bareFinalLoss"] = Round(_bare[^1].FinalLoss, 5),
                ["finalLossRelativeDifference"] = Round(LossDifference, 4),
            };
            if (_transform.Count > 0)
            {
                json["transformRowsPerSecond"] = Round(MedianOf(_transform));
                json["predictionEngineRowsPerSecond"] = Round(MedianOf(_engine));
                json["bareScoringRowsPerSecond"] = Round(MedianOf(_bareScore));
                json["scoringRatio"] = Round(MedianOf(_transform) / MedianOf(_engine), 3);
                json["transformToBareScoringRatio"] = Round(MedianOf(_transform) / MedianOf(_bareScore), 3);
            }
            return json.ToJsonString();
        }

        private static double Round(double value, int digits = 0) => double.IsFinite(value) ? Math.Round(value, digits) : 0;
    }
}
