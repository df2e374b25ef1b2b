using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Optimizers;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Scoring;
using Microsoft.ML.DeepExtensions.Trainers;
using Microsoft.ML.DeepExtensions.Training;
using TorchSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Trainers;

[TestClass]
public sealed class MlpTrainerTests
{
    private static MlpTrainer.Options Fast(int epochs = 15) => new()
    {
        HiddenLayers = new[] { 16 },
        Epochs = epochs,
        BatchSize = 32,
        Optimizer = new Adam(0.01),
        Device = ComputeDevice.Cpu,
    };

    [TestMethod]
    public void BinaryOutputsMatchMlNetAndEvaluate()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SyntheticData.Binary(400, 1));
        var test = ml.Data.LoadFromEnumerable(SyntheticData.Binary(200, 2));
        using var model = ml.BinaryClassification.Trainers.Mlp(Fast()).Fit(train);

        var scored = model.Transform(test);
        Assert.AreEqual(NumberDataViewType.Single, scored.Schema["Score"].Type);
        Assert.AreEqual(NumberDataViewType.Single, scored.Schema["Probability"].Type);
        Assert.AreEqual(BooleanDataViewType.Instance, scored.Schema["PredictedLabel"].Type);
        var metrics = ml.BinaryClassification.Evaluate(scored);
        Assert.IsTrue(metrics.Accuracy > 0.9, $"accuracy {metrics.Accuracy}");
        Assert.IsTrue(metrics.AreaUnderRocCurve > 0.95, $"AUC {metrics.AreaUnderRocCurve}");

        var probabilities = scored.GetColumn<float>("Probability").ToArray();
        var scores = scored.GetColumn<float>("Score").ToArray();
        var predicted = scored.GetColumn<bool>("PredictedLabel").ToArray();
        for (int i = 0; i < scores.Length; i++)
        {
            Assert.AreEqual(1 / (1 + Math.Exp(-scores[i])), probabilities[i], 1e-6);
            Assert.AreEqual(scores[i] > 0, predicted[i]);
        }
    }

    [TestMethod]
    public void MulticlassPipelineMapsKeysBackAndEvaluates()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SyntheticData.Multiclass(300, 1));
        var test = ml.Data.LoadFromEnumerable(SyntheticData.Multiclass(150, 2));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.Mlp(Fast()))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(train);

        var scored = model.Transform(test);
        var scoreType = (VectorDataViewType)scored.Schema["Score"].Type;
        Assert.AreEqual(3, scoreType.Size);
        VBuffer<ReadOnlyMemory<char>> slotNames = default;
        scored.Schema["Score"].GetSlotNames(ref slotNames);
        CollectionAssert.AreEqual(SyntheticData.ClassNames, slotNames.DenseValues().Select(s => s.ToString()).ToArray());

        var predicted = scored.GetColumn<string>("PredictedLabel").ToArray();
        var truth = SyntheticData.Multiclass(150, 2).Select(r => r.Label).ToArray();
        double accuracy = predicted.Zip(truth).Count(p => p.First == p.Second) / (double)truth.Length;
        Assert.IsTrue(accuracy > 0.9, $"accuracy {accuracy}");

        // Evaluate needs the key-typed PredictedLabel, so evaluate before mapping back.
        var keyed = model.Take(2).Aggregate(test, (data, t) => t.Transform(data));
        var metrics = ml.MulticlassClassification.Evaluate(keyed);
        Assert.AreEqual(accuracy, metrics.MicroAccuracy, 1e-9);
        var probabilitySums = scored.GetColumn<float[]>("Score").Select(s => s.Sum()).ToArray();
        Assert.IsTrue(probabilitySums.All(s => Math.Abs(s - 1) < 1e-5));
    }

    [TestMethod]
    public void RegressionLearnsAndPredictionEngineAgreesWithBatchedScoring()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SyntheticData.Regression(500, 1));
        var testRows = SyntheticData.Regression(100, 2);
        var test = ml.Data.LoadFromEnumerable(testRows);
        var options = Fast(60);
        options.HiddenLayers = new[] { 32 };
        using var model = ml.Regression.Trainers.Mlp(options).Fit(train);
        var metrics = ml.Regression.Evaluate(model.Transform(test));
        Assert.IsTrue(metrics.RSquared > 0.9, $"R² {metrics.RSquared}");

        var batched = model.Transform(test).GetColumn<float>("Score").ToArray();
        var engine = ml.Model.CreatePredictionEngine<SyntheticData.RegressionRow, RegressionPrediction>(model);
        for (int i = 0; i < testRows.Count; i++)
            Assert.AreEqual(batched[i], engine.Predict(testRows[i]).Score, 1e-5, $"row {i}");
    }

    private sealed class RegressionPrediction
    {
        public float Score { get; set; }
    }

    [TestMethod]
    public void RegressionTargetInLargeUnitsTrainsAsWellAsStandardized()
    {
        double RSquared(float offset, float scale)
        {
            var ml = new MLContext(seed: 1);
            var rows = SyntheticData.Regression(400, 1).Select(r => new SyntheticData.RegressionRow { Features = r.Features, Label = offset + scale * r.Label }).ToList();
            var options = Fast(40);
            var data = ml.Data.LoadFromEnumerable(rows);
            using var model = ml.Regression.Trainers.Mlp(options).Fit(data);
            Assert.AreEqual(offset, model.Network.OutputShift, Math.Abs(scale) * 0.5, "the output is shifted by the target mean");
            return ml.Regression.Evaluate(model.Transform(data)).RSquared;
        }
        double plain = RSquared(0, 1);
        double large = RSquared(250_000, 40_000);
        Assert.IsTrue(plain > 0.9, $"R² {plain}");
        Assert.AreEqual(plain, large, 0.02, "R² must not depend on the target's units");
    }

    [TestMethod]
    [DataRow("all", 1)]      // batch gradient descent: one step per epoch
    [DataRow("1", 120)]      // stochastic gradient descent: one step per row
    [DataRow("50", 3)]       // mini-batch gradient descent
    [DataRow("auto", 1)]     // min(200, rows)
    public void EveryKindOfGradientDescentTrains(string batchSize, int stepsPerEpoch)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticData.Binary(120, 1));
        var size = BatchSize.Parse(batchSize);
        Assert.AreEqual(stepsPerEpoch, (int)Math.Ceiling(120.0 / size.RowsFor(120)));

        var options = Fast(stepsPerEpoch == 1 ? 60 : 5);
        options.BatchSize = size;
        options.EarlyStoppingPatience = 0;
        var trainer = ml.BinaryClassification.Trainers.Mlp(options);
        using var model = trainer.Fit(data);
        Assert.IsTrue(trainer.TrainingHistory[^1].TrainingLoss < trainer.TrainingHistory[0].TrainingLoss, batchSize);
        Assert.IsTrue(ml.BinaryClassification.Evaluate(model.Transform(data)).Accuracy > 0.85, batchSize);
    }

    [TestMethod]
    public void BatchSizeParsesAndRefuses()
    {
        Assert.AreEqual(BatchSize.Full, BatchSize.Parse("ALL"));
        Assert.AreEqual(BatchSize.Stochastic, BatchSize.Parse("1"));
        Assert.AreEqual(BatchSize.Of(64), BatchSize.Parse(" 64 "));
        Assert.AreEqual("auto", BatchSize.Auto.ToString());
        Assert.AreEqual(200, BatchSize.Auto.RowsFor(10_000));
        Assert.AreEqual(37, BatchSize.Auto.RowsFor(37));
        StringAssert.Contains(Assert.ThrowsExactly<FormatException>(() => BatchSize.Parse("0")).Message, "'0'");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => BatchSize.Of(-3)).Message, "-3");
    }

    [TestMethod]
    public void SameSeedGivesSameModel()
    {
        float[] Train()
        {
            var ml = new MLContext(seed: 7);
            var data = ml.Data.LoadFromEnumerable(SyntheticData.Binary(200, 3));
            var options = Fast(3);
            options.Dropout = 0.2;
            using var model = ml.BinaryClassification.Trainers.Mlp(options).Fit(data);
            return model.Transform(data).GetColumn<float>("Score").ToArray();
        }
        CollectionAssert.AreEqual(Train(), Train());
    }

    [TestMethod]
    public void StreamingTrainingMatchesCachedWithoutShuffle()
    {
        float[] Train(int cacheMegabytes)
        {
            var ml = new MLContext(seed: 3);
            var data = ml.Data.LoadFromEnumerable(SyntheticData.Binary(300, 4));
            var options = Fast(3);
            options.Shuffle = false;
            options.CacheLimitMegabytes = cacheMegabytes;
            using var model = ml.BinaryClassification.Trainers.Mlp(options).Fit(data);
            return model.Transform(data).GetColumn<float>("Score").ToArray();
        }
        var cached = Train(64);
        var streamed = Train(0);
        for (int i = 0; i < cached.Length; i++)
            Assert.AreEqual(cached[i], streamed[i], 1e-5);
    }

    [TestMethod]
    public void StreamingWithShuffleStillLearns()
    {
        var ml = new MLContext(seed: 3);
        var data = ml.Data.LoadFromEnumerable(SyntheticData.Binary(400, 5));
        var options = Fast(10);
        options.CacheLimitMegabytes = 0;
        using var model = ml.BinaryClassification.Trainers.Mlp(options).Fit(data);
        Assert.IsTrue(ml.BinaryClassification.Evaluate(model.Transform(data)).Accuracy > 0.9);
    }

    [TestMethod]
    public void ReportsProgressPerEpochAndLogsThroughMlContext()
    {
        var ml = new MLContext(seed: 1);
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        var reports = new List<TrainingProgress>();
        var options = Fast(4);
        options.EarlyStoppingPatience = 0;
        options.Progress = new SynchronousProgress<TrainingProgress>(reports.Add);
        options.ValidationData = ml.Data.LoadFromEnumerable(SyntheticData.Binary(50, 9));
        using var _ = ml.BinaryClassification.Trainers.Mlp(options).Fit(ml.Data.LoadFromEnumerable(SyntheticData.Binary(100, 1)));
        Assert.AreEqual(4, reports.Count);
        CollectionAssert.AreEqual(new[] { 1, 2, 3, 4 }, reports.Select(r => r.Epoch).ToArray());
        Assert.IsTrue(reports.All(r => r.ValidationLoss is > 0 && r.ValidationMetric is >= 0 and <= 1 && r.RowsPerSecond > 0 && r.LearningRate == 0.01));
        Assert.IsTrue(log.Any(m => m.Contains("epoch 4/4")), "epoch lines reach MLContext.Log");
    }

    [TestMethod]
    public void EarlyStoppingStopsWhenValidationLossStalls()
    {
        var ml = new MLContext(seed: 1);
        var options = Fast(200);
        options.EarlyStoppingPatience = 2;
        options.EarlyStoppingMinDelta = 0.5; // demands a 50% improvement per epoch: stops soon
        options.ValidationData = ml.Data.LoadFromEnumerable(SyntheticData.Binary(50, 9));
        var trainer = ml.BinaryClassification.Trainers.Mlp(options);
        using var _ = trainer.Fit(ml.Data.LoadFromEnumerable(SyntheticData.Binary(100, 1)));
        Assert.IsTrue(trainer.TrainingHistory.Count < 200, $"ran {trainer.TrainingHistory.Count} epochs");
    }

    [TestMethod]
    public void CancellationStopsBetweenBatches()
    {
        var ml = new MLContext(seed: 1);
        using var source = new CancellationTokenSource();
        var options = Fast(1000);
        options.EarlyStoppingPatience = 0;
        options.CancellationToken = source.Token;
        options.Progress = new SynchronousProgress<TrainingProgress>(p => { if (p.Epoch == 2) source.Cancel(); });
        var trainer = ml.BinaryClassification.Trainers.Mlp(options);
        Assert.ThrowsExactly<OperationCanceledException>(() => trainer.Fit(ml.Data.LoadFromEnumerable(SyntheticData.Binary(100, 1))));
    }

    [TestMethod]
    public void NoTensorsLeftAliveAfterFitAndScoring()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticData.Multiclass(120, 1));
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        var options = Fast(3);
        options.ValidationData = keyed;
        options.BatchNormalization = true;
        var trainer = ml.MulticlassClassification.Trainers.Mlp(options);
        torch.ones(1).Dispose(); // start the backend before counting
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var model = trainer.Fit(keyed);
        _ = ml.MulticlassClassification.Evaluate(model.Transform(keyed));
        model.Dispose();
        Assert.AreEqual(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [TestMethod]
    public void CrossValidationWorksUnchanged()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticData.Binary(300, 1));
        var results = ml.BinaryClassification.CrossValidateNonCalibrated(data, ml.BinaryClassification.Trainers.Mlp(Fast(5)), numberOfFolds: 3);
        Assert.AreEqual(3, results.Count);
        Assert.IsTrue(results.All(r => r.Metrics.Accuracy > 0.85));
    }

    [TestMethod]
    public void RefusesBadInputsWithClearMessages()
    {
        var ml = new MLContext(seed: 1);
        var binary = ml.Data.LoadFromEnumerable(SyntheticData.Binary(20, 1));
        var regression = ml.Data.LoadFromEnumerable(SyntheticData.Regression(20, 1));

        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.BinaryClassification.Trainers.Mlp(featureColumnName: "Nope").Fit(binary));
        StringAssert.Contains(missing.Message, "'Nope'");

        var notKey = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.MulticlassClassification.Trainers.Mlp().Fit(ml.Data.LoadFromEnumerable(SyntheticData.Multiclass(20, 1))));
        StringAssert.Contains(notKey.Message, "MapValueToKey");

        var wrongLoss = Assert.ThrowsExactly<ArgumentException>(() =>
            ml.Regression.Trainers.Mlp(new MlpTrainer.Options { Loss = new Losses.HingeLoss() }));
        StringAssert.Contains(wrongLoss.Message, "hinge");

        var badEpochs = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Regression.Trainers.Mlp(new MlpTrainer.Options { Epochs = 0 }));
        StringAssert.Contains(badEpochs.Message, "Epochs");

        var empty = ml.Data.LoadFromEnumerable(new List<SyntheticData.RegressionRow>());
        var emptyError = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Regression.Trainers.Mlp(Fast(1)).Fit(empty));
        StringAssert.Contains(emptyError.Message, "empty");

        using var model = ml.Regression.Trainers.Mlp(Fast(1)).Fit(regression);
        var narrow = ml.Data.LoadFromEnumerable(new[] { new NarrowRow() });
        var mismatch = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Transform(narrow));
        StringAssert.Contains(mismatch.Message, "Features");
    }

    private sealed class NarrowRow
    {
        [VectorType(2)] public float[] Features { get; set; } = new float[2];
        public float Label { get; set; }
    }

    [TestMethod]
    public void EstimatorChainReportsOutputColumnsBeforeFitting()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticData.Multiclass(30, 1));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.Mlp(Fast(1)))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var shape = pipeline.GetOutputSchema(Internals.MlNetInternals.ToSchemaShape(data.Schema));
        var predicted = shape.Single(c => c.Name == "PredictedLabel");
        Assert.AreEqual(TextDataViewType.Instance, predicted.ItemType);
        var score = shape.Single(c => c.Name == "Score");
        Assert.AreEqual(SchemaShape.Column.VectorKind.Vector, score.Kind);
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; tests need the reports in order and at once.</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
