using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Optimizers;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Tests.Persistence;
using Microsoft.ML.DeepExtensions.Trainers;

namespace Microsoft.ML.DeepExtensions.Tests.Trainers;

[TestClass]
public sealed class MlpPersistenceTests
{
    private static MlpTrainer.Options Options() => new()
    {
        HiddenLayers = new[] { 12, 8 },
        Epochs = 5,
        Optimizer = new Adam(0.01),
        BatchNormalization = true,
        Dropout = 0.1,
        Device = ComputeDevice.Cpu,
    };

    /// <summary>The text form of the predictions compared across processes: exact float round-trip formatting.</summary>
    internal static IEnumerable<string> Score(MLContext ml, ITransformer model)
    {
        var scored = model.Transform(ml.Data.LoadFromEnumerable(SyntheticData.Multiclass(60, 2)));
        var labels = scored.GetColumn<string>("PredictedLabel").ToArray();
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        return labels.Zip(scores, (label, score) => label + ";" + string.Join(",", score.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
    }

    private static (ITransformer Model, string Path) TrainAndSave(MLContext ml)
    {
        var data = ml.Data.LoadFromEnumerable(SyntheticData.Multiclass(150, 1));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.NormalizeMeanVariance("Features"))
            .Append(ml.MulticlassClassification.Trainers.Mlp(Options()))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(data);
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"dx-mlp-{Guid.NewGuid():N}.zip");
        ml.Model.Save(model, data.Schema, path);
        return (model, path);
    }

    [TestMethod]
    public void PipelineReloadsInAFreshProcessWithIdenticalPredictions()
    {
        var ml = new MLContext(seed: 1);
        var (model, path) = TrainAndSave(ml);
        try
        {
            var expected = Score(ml, model).ToArray();
            var child = FreshProcessLoader.Run(path, register: true, scenario: "mlp-multiclass");
            Assert.AreEqual(0, child.ExitCode, string.Join("\n", child.Lines) + child.StandardError);
            CollectionAssert.AreEqual(expected, child.Lines.Skip(1).ToArray(), string.Join("\n", child.Lines.Take(3)));
            Assert.IsTrue(expected.Select(l => l.Split(';')[0]).Distinct().Count() > 1, "the model predicts more than one class");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void LoadingWithoutRegistrationNamesTheCall()
    {
        var (_, path) = TrainAndSave(new MLContext(seed: 1));
        try
        {
            var child = FreshProcessLoader.Run(path, register: false, scenario: "mlp-multiclass");
            Assert.AreNotEqual(0, child.ExitCode);
            StringAssert.Contains(string.Join("\n", child.Lines), "mlContext.RegisterDeepExtensions()");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void ReloadedBinaryAndRegressionModelsScoreIdentically()
    {
        foreach (var task in new[] { PredictionTask.BinaryClassification, PredictionTask.Regression })
        {
            var ml = new MLContext(seed: 2);
            var data = task == PredictionTask.Regression
                ? ml.Data.LoadFromEnumerable(SyntheticData.Regression(100, 1))
                : ml.Data.LoadFromEnumerable(SyntheticData.Binary(100, 1));
            ITransformer model = task == PredictionTask.Regression
                ? ml.Regression.Trainers.Mlp(Options()).Fit(data)
                : ml.BinaryClassification.Trainers.Mlp(Options()).Fit(data);
            using var stream = new MemoryStream();
            ml.Model.Save(model, data.Schema, stream);
            stream.Position = 0;

            var other = new MLContext().RegisterDeepExtensions();
            var loaded = other.Model.Load(stream, out var schema);
            Assert.AreEqual(data.Schema.Count, schema.Count);
            CollectionAssert.AreEqual(
                model.Transform(data).GetColumn<float>("Score").ToArray(),
                loaded.Transform(data).GetColumn<float>("Score").ToArray(), $"{task}");
        }
    }

    [TestMethod]
    public void TamperedWeightsGiveAClearError()
    {
        var (_, path) = TrainAndSave(new MLContext(seed: 1));
        try
        {
            using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Update))
            {
                var entry = zip.Entries.Single(e => e.FullName.Replace('\\', '/').EndsWith("Transform_002/Model.key", StringComparison.Ordinal));
                byte[] bytes;
                using (var read = entry.Open())
                using (var copy = new MemoryStream())
                {
                    read.CopyTo(copy);
                    bytes = copy.ToArray();
                }
                bytes[bytes.Length / 2] ^= 0x5A; // inside the weights
                entry.Delete();
                using var write = zip.CreateEntry(entry.FullName).Open();
                write.Write(bytes);
            }
            var ml = new MLContext().RegisterDeepExtensions();
            var error = Assert.Throws<Exception>(() => ml.Model.Load(path, out _));
            StringAssert.Contains(error.GetBaseException().Message, "damaged");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
