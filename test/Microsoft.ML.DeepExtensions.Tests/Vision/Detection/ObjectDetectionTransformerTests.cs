using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection;

[TestClass]
public sealed class ObjectDetectionTransformerTests
{
    // (width, height, blue byte): Width % 3 detections each, so rows hold 1, 2, 1, 2, 1 boxes.
    private static readonly (int Width, int Height, byte Blue)[] Images = { (4, 6, 10), (5, 6, 20), (7, 8, 30), (8, 5, 40), (10, 4, 50) };

    private string _directory = null!;

    [TestInitialize]
    public void WriteImages()
    {
        _directory = Path.Combine(Path.GetTempPath(), "dx-detection-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        for (int i = 0; i < Images.Length; i++)
        {
            var (width, height, blue) = Images[i];
            var pixels = new byte[width * height * 4];
            for (int p = 0; p < pixels.Length; p += 4)
            {
                pixels[p] = blue;
                pixels[p + 1] = 100;
                pixels[p + 2] = 200;
                pixels[p + 3] = 255;
            }
            using var image = MLImage.CreateFromPixels(width, height, MLPixelFormat.Bgra32, pixels);
            image.Save(Path.Combine(_directory, $"image{i}.png"));
        }
    }

    [TestCleanup]
    public void DeleteImages()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private sealed class ImageRow
    {
        public string ImagePath { get; set; } = "";
    }

    private sealed class DetectionRow
    {
        public uint[] PredictedLabel { get; set; } = Array.Empty<uint>();
        public float[] Score { get; set; } = Array.Empty<float>();
        public float[] PredictedBoundingBoxes { get; set; } = Array.Empty<float>();
    }

    private IDataView Paths(MLContext ml, params string[] files) =>
        ml.Data.LoadFromEnumerable(files.Select(f => new ImageRow { ImagePath = f }));

    private static string[] AllFiles => Enumerable.Range(0, Images.Length).Select(i => $"image{i}.png").ToArray();

    private IEstimator<ITransformer> Pipeline(MLContext ml, FakeDetector detector) =>
        ml.Transforms.LoadImages("Image", _directory, "ImagePath")
            .Append(new ObjectDetectionEstimator<FakeDetector>(detector));

    private static void AssertRow(DetectionRow row, ObjectDetections expected)
    {
        CollectionAssert.AreEqual(expected.ClassIndices.ToArray().Select(c => (uint)c + 1).ToArray(), row.PredictedLabel);
        CollectionAssert.AreEqual(expected.Scores.ToArray(), row.Score);
        CollectionAssert.AreEqual(expected.Boxes.ToArray(), row.PredictedBoundingBoxes);
    }

    private static ObjectDetections ExpectedFor(int image, float offset = 0.5f) =>
        FakeDetector.Expected(Images[image].Width, Images[image].Height, Images[image].Blue, offset);

    [TestMethod]
    public void Transform_DetectsTwoImagesPerBatch_WithOneBasedKeysScoresAndBoxes()
    {
        var ml = new MLContext(seed: 1);
        var detector = new FakeDetector(ml, batchSize: 2);
        var model = Pipeline(ml, detector).Fit(Paths(ml, AllFiles));

        var rows = ml.Data.CreateEnumerable<DetectionRow>(model.Transform(Paths(ml, AllFiles)), reuseRowObject: false).ToArray();

        Assert.AreEqual(Images.Length, rows.Length);
        for (int i = 0; i < rows.Length; i++)
            AssertRow(rows[i], ExpectedFor(i));
        CollectionAssert.AreEqual(new[] { 2, 2, 1 }, detector.BatchSizes, "5 rows at batch size 2 are 3 DetectBatch calls");
    }

    [TestMethod]
    public void OutputSchema_HasVariableKeyVectorWithClassNames_AndFloatVectors()
    {
        var ml = new MLContext(seed: 1);
        var estimator = Pipeline(ml, new FakeDetector(ml, batchSize: 4));
        var data = Paths(ml, AllFiles);

        var schema = estimator.Fit(data).GetOutputSchema(data.Schema);
        var shape = estimator.GetOutputSchema(Internals.MlNetInternals.ToSchemaShape(data.Schema));

        var label = schema["PredictedLabel"];
        var labelType = (VectorDataViewType)label.Type;
        Assert.AreEqual(0, labelType.Size, "variable-length");
        Assert.AreEqual(new KeyDataViewType(typeof(uint), 2), labelType.ItemType);
        VBuffer<ReadOnlyMemory<char>> names = default;
        label.GetKeyValues(ref names);
        CollectionAssert.AreEqual(FakeDetector.Classes, names.DenseValues().Select(n => n.ToString()).ToArray());
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single), schema["Score"].Type);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single), schema["PredictedBoundingBoxes"].Type);
        var shapeLabel = shape.Single(c => c.Name == "PredictedLabel");
        Assert.AreEqual(SchemaShape.Column.VectorKind.VariableVector, shapeLabel.Kind);
        Assert.IsTrue(shapeLabel.IsKey);
        Assert.IsTrue(shape.Any(c => c.Name == "PredictedBoundingBoxes" && c.Kind == SchemaShape.Column.VectorKind.VariableVector));
    }

    [TestMethod]
    public void MapKeyToValue_AfterTheDetector_GivesClassNames()
    {
        var ml = new MLContext(seed: 1);
        var pipeline = Pipeline(ml, new FakeDetector(ml, batchSize: 3))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

        var output = pipeline.Fit(Paths(ml, AllFiles)).Transform(Paths(ml, AllFiles));

        var names = output.GetColumn<VBuffer<ReadOnlyMemory<char>>>("PredictedLabel")
            .Select(v => string.Join(",", v.DenseValues().Select(n => n.ToString()))).ToArray();
        // Width % 3 detections, class i % 2: rows with 2 boxes are "cat,dog", rows with 1 box "cat".
        CollectionAssert.AreEqual(new[] { "cat", "cat,dog", "cat", "cat,dog", "cat" }, names);
    }

    [TestMethod]
    public void PredictionEngine_DetectsOneRowAtATime()
    {
        var ml = new MLContext(seed: 1);
        var detector = new FakeDetector(ml, batchSize: 8);
        var model = Pipeline(ml, detector).Fit(Paths(ml, AllFiles));
        var engine = ml.Model.CreatePredictionEngine<ImageRow, DetectionRow>(model);

        for (int i = Images.Length - 1; i >= 0; i--)
            AssertRow(engine.Predict(new ImageRow { ImagePath = $"image{i}.png" }), ExpectedFor(i));
        Assert.IsTrue(detector.BatchSizes.All(size => size == 1));
        Assert.AreEqual(Images.Length, detector.BatchSizes.Count, "one detection per prediction");
    }

    [TestMethod]
    public void SaveAndLoad_InModelZip_GivesTheSameDetections()
    {
        var ml = new MLContext(seed: 1);
        var data = Paths(ml, AllFiles);
        var model = Pipeline(ml, new FakeDetector(ml, batchSize: 2, offset: 0.25f)).Fit(data);
        string path = Path.Combine(_directory, "model.zip");
        ml.Model.Save(model, data.Schema, path);

        var ml2 = new MLContext().RegisterDeepExtensions();
        var loaded = ml2.Model.Load(path, out var inputSchema);

        var detector = ((TransformerChain<ITransformer>)loaded).OfType<FakeDetector>().Single();
        Assert.AreEqual(0.25f, detector.Offset);
        Assert.AreEqual(2, detector.BatchSize);
        Assert.AreEqual("Image", detector.ImageColumnName);
        CollectionAssert.AreEqual(FakeDetector.Classes, detector.ClassNames.ToArray());
        Assert.IsNotNull(inputSchema.GetColumnOrNull("ImagePath"));
        var rows = ml2.Data.CreateEnumerable<DetectionRow>(loaded.Transform(Paths(ml2, AllFiles)), reuseRowObject: false).ToArray();
        for (int i = 0; i < rows.Length; i++)
            AssertRow(rows[i], ExpectedFor(i, offset: 0.25f));
    }

    [TestMethod]
    public void CustomColumnNames_AreUsed_AndSurviveSaveLoad()
    {
        var ml = new MLContext(seed: 1);
        var columns = new DetectionColumns(new[] { "a", "b" }, "Labels", "Confidences", "Boxes");
        var detector = new FakeDetector(ml, "Picture", columns, batchSize: 2, offset: 0.5f);
        var pipeline = ml.Transforms.LoadImages("Picture", _directory, "ImagePath").Append(new ObjectDetectionEstimator<FakeDetector>(detector));
        var data = Paths(ml, AllFiles);
        var model = pipeline.Fit(data);
        string path = Path.Combine(_directory, "custom.zip");
        ml.Model.Save(model, data.Schema, path);

        var loaded = new MLContext().RegisterDeepExtensions().Model.Load(path, out _);
        var output = loaded.Transform(data);

        Assert.IsNull(output.Schema.GetColumnOrNull("PredictedLabel"));
        var detections = columns.ReadDetections(output).ToArray();
        Assert.AreEqual(Images.Length, detections.Length);
        for (int i = 0; i < detections.Length; i++)
        {
            var expected = ExpectedFor(i);
            CollectionAssert.AreEqual(expected.Boxes.ToArray(), detections[i].Boxes.ToArray());
            CollectionAssert.AreEqual(expected.ClassIndices.ToArray(), detections[i].ClassIndices.ToArray());
        }
    }

    [TestMethod]
    public void MissingOrCorruptImageFiles_GetNoDetectionsAndAWarning_WhileTheRestOfTheirBatchIsDetected()
    {
        var ml = new MLContext(seed: 1);
        var warnings = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Kind == ChannelMessageKind.Warning)
                lock (warnings) warnings.Add(e.Message);
        };
        var detector = new FakeDetector(ml, batchSize: 4);
        File.WriteAllBytes(Path.Combine(_directory, "corrupt.png"), new byte[] { 0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4, 5 });
        var files = new[] { "image0.png", "no-such-file.png", "image2.png", "corrupt.png" };
        var model = Pipeline(ml, detector).Fit(Paths(ml, files));

        var rows = ml.Data.CreateEnumerable<DetectionRow>(model.Transform(Paths(ml, files)), reuseRowObject: false).ToArray();

        Assert.AreEqual(4, rows.Length);
        AssertRow(rows[0], ExpectedFor(0));
        AssertRow(rows[1], ObjectDetections.Empty);
        AssertRow(rows[2], ExpectedFor(2));
        AssertRow(rows[3], ObjectDetections.Empty);
        CollectionAssert.AreEqual(new[] { 2 }, detector.BatchSizes, "the two readable images are detected in one batch");
        var unreadable = warnings.Where(w => w.Contains("could not be read")).ToArray();
        Assert.AreEqual(2, unreadable.Length, string.Join(Environment.NewLine, warnings));
        StringAssert.Contains(unreadable[0], "Row 1: image column 'Image' could not be read");
        StringAssert.Contains(unreadable[1], "Row 3: image column 'Image' could not be read");
    }

    [TestMethod]
    public void MissingOrWrongImageColumn_FailsWithSchemaMessages()
    {
        var ml = new MLContext(seed: 1);
        var detector = new FakeDetector(ml, batchSize: 2);
        var paths = Paths(ml, AllFiles);

        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => detector.Transform(paths));
        StringAssert.Contains(missing.Message, "Image column 'Image' not found in the data. Available columns: ImagePath");
        var renamed = ml.Transforms.CopyColumns("Image", "ImagePath").Fit(paths).Transform(paths);
        var wrong = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => detector.GetOutputSchema(renamed.Schema));
        StringAssert.Contains(wrong.Message, "Schema mismatch for image column 'Image': expected Image (from LoadImages or ResizeImages), got String.");
        var estimator = new ObjectDetectionEstimator<FakeDetector>(detector);
        var shapeError = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(Internals.MlNetInternals.ToSchemaShape(renamed.Schema)));
        StringAssert.Contains(shapeError.Message, "Schema mismatch for image column 'Image'");
    }

    [TestMethod]
    public void OnlyInputColumnsRequested_RunsNoDetection()
    {
        var ml = new MLContext(seed: 1);
        var detector = new FakeDetector(ml, batchSize: 2);
        var output = Pipeline(ml, detector).Fit(Paths(ml, AllFiles)).Transform(Paths(ml, AllFiles));

        var paths = output.GetColumn<string>("ImagePath").ToArray();

        Assert.AreEqual(Images.Length, paths.Length);
        Assert.AreEqual(0, detector.BatchSizes.Count);
    }

    [TestMethod]
    public void DetectBatch_ReturningAClassBeyondTheClassNames_IsNamed()
    {
        var ml = new MLContext(seed: 1);
        var detector = new FakeDetector(ml, "Image", new DetectionColumns(new[] { "only" }), batchSize: 2, offset: 0.5f);
        using var image = MLImage.CreateFromFile(Path.Combine(_directory, "image1.png")); // 5 wide: classes 0 and 1

        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => detector.Detect(image));

        StringAssert.Contains(ex.Message, "FakeDetector returned class index 1, but it has 1 classes.");
    }

    [TestMethod]
    public void DetectionColumns_RejectDuplicateNamesAndEmptyClasses()
    {
        var duplicate = Assert.ThrowsExactly<ArgumentException>(() => new DetectionColumns(new[] { "a" }, "X", "X", "Boxes"));
        StringAssert.Contains(duplicate.Message, "three different names, got 'X', 'X', 'Boxes'");
        Assert.ThrowsExactly<ArgumentException>(() => new DetectionColumns(Array.Empty<string>()));
        var empty = Assert.ThrowsExactly<ArgumentException>(() => new DetectionColumns(new[] { "a", "" }));
        StringAssert.Contains(empty.Message, "empty name for class 1");
    }
}
