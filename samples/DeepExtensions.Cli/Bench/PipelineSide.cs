using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions;
using Microsoft.ML.DeepExtensions.Activations;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Scoring;
using Microsoft.ML.DeepExtensions.Trainers;
using Microsoft.ML.DeepExtensions.Training;

namespace DeepExtensions.Cli.Bench;

/// <summary>
/// The ML.NET side: <c>mlContext.&lt;task&gt;.Trainers.Mlp(options).Fit(IDataView)</c>, timed end to end
/// (the pass from the <see cref="IDataView"/> to tensors included), and scoring through
/// <c>Transform</c> and <c>PredictionEngine</c>.
/// </summary>
public sealed class PipelineSide
{
    private readonly MLContext _mlContext;
    private readonly IDataView _data;
    private readonly SyntheticTabularData _source;
    private readonly TabularBenchOptions _options;

    public PipelineSide(MLContext mlContext, IDataView data, SyntheticTabularData source, TabularBenchOptions options)
    {
        _mlContext = mlContext;
        _data = data;
        _source = source;
        _options = options;
    }

    public MlpTrainer.Options TrainerOptions(int epochs, CancellationToken cancellation) => new()
    {
        LabelColumnName = "Label",
        FeatureColumnName = "Features",
        HiddenLayers = _options.Hidden,
        Activation = new ReLU(),
        Epochs = epochs,
        BatchSize = BatchSize.Of(_options.BatchSize),
        Optimizer = new Microsoft.ML.DeepExtensions.Optimizers.Adam(_options.LearningRate),
        Shuffle = true,
        EarlyStoppingPatience = 0,
        Device = _options.Device,
        Seed = _options.Seed,
        CancellationToken = cancellation,
    };

    /// <summary>Fits once; the caller owns (and disposes) the returned model.</summary>
    public (TrainingRun Run, NetworkPredictionTransformer Model) Train(int epochs, CancellationToken cancellation)
    {
        var trainerOptions = TrainerOptions(epochs, cancellation);
        var trainer = _options.Task switch
        {
            TabularBenchTask.Binary => _mlContext.BinaryClassification.Trainers.Mlp(trainerOptions),
            TabularBenchTask.Multiclass => _mlContext.MulticlassClassification.Trainers.Mlp(trainerOptions),
            _ => _mlContext.Regression.Trainers.Mlp(trainerOptions),
        };

        using var probe = MemoryProbe.Start();
        var clock = Stopwatch.StartNew();
        var model = trainer.Fit(_data);
        clock.Stop();
        long peak = probe.PeakBytes;

        var history = trainer.TrainingHistory;
        double loopSeconds = history.Count > 0 ? history[^1].Elapsed.TotalSeconds : 0;
        var run = new TrainingRun(
            "pipeline",
            clock.Elapsed.TotalSeconds,
            _source.Rows,
            history.Count,
            history.Select(p => p.RowsPerSecond).ToArray(),
            clock.Elapsed.TotalSeconds - loopSeconds,
            history.Count > 0 ? history[^1].TrainingLoss : double.NaN,
            probe.StartBytes,
            peak,
            probe.AllocatedBytes);
        return (run, model);
    }

    /// <summary><c>model.Transform(data)</c> enumerated to the end, reading every prediction column.</summary>
    public ScoringRun ScoreWithTransform(NetworkPredictionTransformer model)
    {
        var clock = Stopwatch.StartNew();
        var scored = model.Transform(_data);
        long rows = 0;
        switch (_options.Task)
        {
            case TabularBenchTask.Binary:
            {
                using var cursor = scored.GetRowCursor(new[] { scored.Schema["Score"], scored.Schema["Probability"], scored.Schema["PredictedLabel"] });
                var score = cursor.GetGetter<float>(scored.Schema["Score"]);
                var probability = cursor.GetGetter<float>(scored.Schema["Probability"]);
                var predicted = cursor.GetGetter<bool>(scored.Schema["PredictedLabel"]);
                float s = 0, p = 0;
                bool l = false;
                while (cursor.MoveNext())
                {
                    score(ref s);
                    probability(ref p);
                    predicted(ref l);
                    rows++;
                }
                break;
            }
            case TabularBenchTask.Multiclass:
            {
                using var cursor = scored.GetRowCursor(new[] { scored.Schema["Score"], scored.Schema["PredictedLabel"] });
                var score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
                var predicted = cursor.GetGetter<uint>(scored.Schema["PredictedLabel"]);
                VBuffer<float> s = default;
                uint l = 0;
                while (cursor.MoveNext())
                {
                    score(ref s);
                    predicted(ref l);
                    rows++;
                }
                break;
            }
            default:
            {
                using var cursor = scored.GetRowCursor(new[] { scored.Schema["Score"] });
                var score = cursor.GetGetter<float>(scored.Schema["Score"]);
                float s = 0;
                while (cursor.MoveNext())
                {
                    score(ref s);
                    rows++;
                }
                break;
            }
        }
        clock.Stop();
        return new ScoringRun("transform", rows, clock.Elapsed.TotalSeconds);
    }

    /// <summary><c>PredictionEngine.Predict</c> row by row over the first <paramref name="rows"/> rows (engine creation not timed).</summary>
    public ScoringRun ScoreWithPredictionEngine(NetworkPredictionTransformer model, int rows) => _options.Task switch
    {
        TabularBenchTask.Binary => Engine<BinaryPrediction>(model, rows),
        TabularBenchTask.Multiclass => Engine<MulticlassPrediction>(model, rows),
        _ => Engine<RegressionPrediction>(model, rows),
    };

    private ScoringRun Engine<TPrediction>(NetworkPredictionTransformer model, int rows)
        where TPrediction : class, new()
    {
        // OwnsTransformer = false: by default disposing a PredictionEngine disposes the model (and its network) too.
        using var engine = _mlContext.Model.CreatePredictionEngine<TabularRow, TPrediction>(model,
            new PredictionEngineOptions { InputSchemaDefinition = _source.SchemaDefinition(), OwnsTransformer = false });
        var list = _source.List;
        rows = Math.Min(rows, list.Count);
        var prediction = new TPrediction();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < rows; i++)
            engine.Predict(list[i], ref prediction);
        clock.Stop();
        return new ScoringRun("prediction-engine", rows, clock.Elapsed.TotalSeconds);
    }

    public sealed class BinaryPrediction
    {
        public bool PredictedLabel;
        public float Score;
        public float Probability;
    }

    public sealed class MulticlassPrediction
    {
        public uint PredictedLabel;
        public float[] Score = Array.Empty<float>();
    }

    public sealed class RegressionPrediction
    {
        public float Score;
    }
}
