using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Tests.Persistence;
using Microsoft.ML.DeepExtensions.Vision;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Classification;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Classification;

[TestClass]
public sealed class CnnPersistenceTests
{
    /// <summary>
    /// The predictions compared across processes, in exact round-trip text. Touches no Vision type, so
    /// in the child process the Vision package is loaded by the model itself (its network kind and
    /// its image column), as it would be in a user's app that only calls Model.Load.
    /// </summary>
    internal static IEnumerable<string> Score(MLContext ml, ITransformer model)
    {
        var scored = model.Transform(ml.Data.LoadFromEnumerable(SyntheticImages.Images(40, seed: 7)));
        var labels = scored.GetColumn<string>("PredictedLabel").ToArray();
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        return labels.Zip(scores, (label, score) => label + ";" + string.Join(",", score.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
    }

    [TestMethod]
    public void ImageModelReloadsInAFreshProcessWithIdenticalPredictions()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticImages.Images(150, seed: 1));
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.Cnn(new CnnTrainer.Options
            {
                FeatureColumnName = "Image",
                ImageShape = new ImageShape(1, 12, 12), // read the RGB images as grayscale
                Architecture = ImageArchitectures.Get("small-cnn"),
                Epochs = 3,
                BatchSize = 32,
                Device = global::Microsoft.ML.DeepExtensions.Backend.ComputeDevice.Cpu,
            }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(data);
        string path = Path.Combine(Path.GetTempPath(), $"dx-cnn-{Guid.NewGuid():N}.zip");
        ml.Model.Save(model, data.Schema, path);
        try
        {
            var expected = Score(ml, model).ToArray();
            var child = FreshProcessLoader.Run(path, register: true, scenario: "cnn-image");
            Assert.AreEqual(0, child.ExitCode, string.Join("\n", child.Lines) + child.StandardError);
            CollectionAssert.AreEqual(expected, child.Lines.Skip(1).ToArray(), string.Join("\n", child.Lines.Take(3)));
            Assert.IsTrue(expected.Select(l => l.Split(';')[0]).Distinct().Count() > 1, "the model predicts more than one class");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
