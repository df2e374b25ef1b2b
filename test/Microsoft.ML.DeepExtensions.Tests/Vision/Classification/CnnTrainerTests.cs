using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Training;
using Microsoft.ML.DeepExtensions.Vision;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Classification;
using TorchSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Classification;

[TestClass]
public sealed class CnnTrainerTests
{
    private static CnnTrainer.Options Options(int epochs = 6) => new()
    {
        Architecture = ImageArchitectures.Get("small-cnn"),
        Epochs = epochs,
        BatchSize = 32,
        Seed = 1,
        Device = global::Microsoft.ML.DeepExtensions.Backend.ComputeDevice.Cpu,
    };

    [TestMethod]
    public void LearnsShapesFromPixelVectorsAndMatchesMlNetOutputs()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SyntheticImages.Pixels(300, seed: 1));
        var test = ml.Data.LoadFromEnumerable(SyntheticImages.Pixels(150, seed: 2));
        var options = Options();
        options.ImageShape = new ImageShape(1, 12, 12);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.Cnn(options))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(train);
        var scored = model.Transform(test);
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        Assert.IsTrue(metrics.MicroAccuracy > 0.9, $"accuracy {metrics.MicroAccuracy}");

        var score = scored.Schema["Score"];
        Assert.AreEqual(SyntheticImages.Classes, ((VectorDataViewType)score.Type).Size);
        VBuffer<ReadOnlyMemory<char>> slotNames = default;
        score.GetSlotNames(ref slotNames);
        CollectionAssert.AreEquivalent(new[] { "bar-h", "bar-v", "square" }, slotNames.DenseValues().Select(s => s.ToString()).ToArray());
        Assert.AreEqual(TextDataViewType.Instance, scored.Schema["PredictedLabel"].Type);
    }

    [TestMethod]
    public void TrainsOnAnImageColumnAndReadsTheShapeFromIt()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SyntheticImages.Images(300, seed: 1));
        var test = ml.Data.LoadFromEnumerable(SyntheticImages.Images(150, seed: 2));
        var options = Options();
        options.FeatureColumnName = "Image";
        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.Cnn(options)).Fit(train);
        var trained = model.LastTransformer;
        CollectionAssert.AreEqual(new long[] { 3, 12, 12 }, trained.Network.InputShape);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
        Assert.IsTrue(metrics.MicroAccuracy > 0.9, $"accuracy {metrics.MicroAccuracy}");
    }

    [TestMethod]
    public void InfersTheShapeOfExtractPixelsFromTheResizedImageColumn()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticImages.Images(60, seed: 1));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.ResizeImages("Resized", 10, 8, "Image"))
            .Append(ml.Transforms.ExtractPixels("Features", "Resized", scaleImage: 1f / 255));
        var prepared = pipeline.Fit(data).Transform(data);
        var trainer = ml.MulticlassClassification.Trainers.Cnn(Options(epochs: 1));
        var model = trainer.Fit(prepared);
        CollectionAssert.AreEqual(new long[] { 3, 8, 10 }, model.Network.InputShape);
    }

    [TestMethod]
    public void RefusesBadInputsWithClearMessages()
    {
        var ml = new MLContext(seed: 1);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label");
        var pixels = ml.Data.LoadFromEnumerable(SyntheticImages.Pixels(30, seed: 1));
        var keyMapping = keyed.Fit(pixels);
        var keyedPixels = keyMapping.Transform(pixels);

        // A stated shape that does not fit the vector.
        var wrongShape = Options(epochs: 1);
        wrongShape.ImageShape = new ImageShape(3, 12, 12);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.Cnn(wrongShape).Fit(keyedPixels));
        StringAssert.Contains(e.Message, "144");
        StringAssert.Contains(e.Message, "3x12x12");

        // One class only.
        var single = ml.Data.LoadFromEnumerable(SyntheticImages.Pixels(10, seed: 1, classes: 1));
        var one = Options(epochs: 1);
        one.ImageShape = new ImageShape(1, 12, 12);
        var singleError = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.Cnn(one).Fit(keyed.Fit(single).Transform(single)));
        StringAssert.Contains(singleError.Message, "at least 2");

        // No rows.
        var empty = keyMapping.Transform(ml.Data.LoadFromEnumerable(Array.Empty<SyntheticImages.PixelRow>()));
        var emptyError = Assert.ThrowsExactly<InvalidOperationException>(() => ml.MulticlassClassification.Trainers.Cnn(one).Fit(empty));
        StringAssert.Contains(emptyError.Message, "empty");

        // A column that is not an image.
        var text = Options(epochs: 1);
        text.FeatureColumnName = "Label";
        var textError = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.Cnn(text).Fit(keyedPixels));
        StringAssert.Contains(textError.Message, "Schema mismatch for feature column 'Label'");

        // A vector whose shape cannot be told.
        var unknown = Options(epochs: 1);
        var unknownError = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.Cnn(unknown).Fit(
            ml.Data.LoadFromEnumerable(new[] { new FlatRow { Label = 1, Features = new float[150] }, new FlatRow { Label = 2, Features = new float[150] } })));
        StringAssert.Contains(unknownError.Message, "ImageShape");
    }

    [TestMethod]
    public void UnresizedImagesAreRefusedBeforeTraining()
    {
        var ml = new MLContext(seed: 1);
        var folder = Directory.CreateTempSubdirectory("dx-images-").FullName;
        try
        {
            var files = SyntheticImages.Images(4, seed: 1).Select((row, i) =>
            {
                string path = Path.Combine(folder, $"{i}.png");
                row.Image!.Save(path);
                return new { Label = row.Label, Path = path };
            }).ToArray();
            var data = ml.Data.LoadFromEnumerable(files.Select(f => new FileRow { Label = f.Label, ImagePath = f.Path }));
            var loaded = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.LoadImages("Image", "", "ImagePath")).Fit(data).Transform(data);
            var options = Options(epochs: 1);
            options.FeatureColumnName = "Image";
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.Cnn(options).Fit(loaded));
            StringAssert.Contains(e.Message, "ResizeImages");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void ReportsTrainingAccuracyAndLeavesNoTensorsBehind()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticImages.Pixels(90, seed: 1));
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        var options = Options(epochs: 2);
        options.ImageShape = new ImageShape(1, 12, 12);
        options.RandomCropPadding = 2;
        options.HorizontalFlip = true;
        var batches = new List<BatchProgress>();
        options.BatchProgress = new SynchronousProgress<BatchProgress>(batches.Add);
        var trainer = ml.MulticlassClassification.Trainers.Cnn(options);

        torch.ones(1).Dispose(); // start the backend before counting
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (var model = trainer.Fit(keyed))
        {
            var scores = model.Transform(keyed).GetColumn<VBuffer<float>>("Score").ToArray();
            Assert.AreEqual(90, scores.Length);
        }
        Assert.AreEqual(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount, "tensors alive after Fit and scoring");

        Assert.AreEqual(2, trainer.TrainingHistory.Count);
        foreach (var epoch in trainer.TrainingHistory)
            Assert.IsTrue(epoch.TrainingMetric is >= 0 and <= 1, $"training accuracy {epoch.TrainingMetric}");
    }

    private sealed class FlatRow
    {
        [KeyType(3)]
        public uint Label { get; set; }

        [VectorType(150)]
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    private sealed class FileRow
    {
        public string Label { get; set; } = "";

        public string ImagePath { get; set; } = "";
    }

    /// <summary>Reports on the calling thread (<see cref="Progress{T}"/> posts to the thread pool).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
