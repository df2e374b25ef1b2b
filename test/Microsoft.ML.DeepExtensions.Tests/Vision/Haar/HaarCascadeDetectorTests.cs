using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Tests.Persistence;
using Microsoft.ML.DeepExtensions.Vision.Haar;
using OpenCvSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Haar;

/// <summary>The Haar detector as an ML.NET transform: MLImage in, detection columns out, model.zip round trip.</summary>
[TestClass]
public sealed class HaarCascadeDetectorTests
{
    private const string FaceCascade = "haarcascade_frontalface_alt2.xml";

    private static string _directory = null!;
    private static string _photo = null!;

    [ClassInitialize]
    public static void WritePhotos(TestContext _)
    {
        _directory = Path.Combine(Path.GetTempPath(), "dx-haar-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        // A colour PNG both sides decode identically (PNG is lossless).
        using var color = Cv2.ImRead(HaarTestData.SkimagePhoto("astronaut.png"), ImreadModes.Color);
        using var small = new Mat();
        Cv2.Resize(color, small, new OpenCvSharp.Size(240, 240), 0, 0, InterpolationFlags.Area);
        _photo = Path.Combine(_directory, "astronaut-240.png");
        Cv2.ImWrite(_photo, small);
    }

    [ClassCleanup]
    public static void DeletePhotos()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private sealed class ImageRow
    {
        public string ImagePath { get; set; } = "";
    }

    private sealed class DetectionRow
    {
        public uint[] PredictedLabel { get; set; } = [];
        public float[] Score { get; set; } = [];
        public float[] PredictedBoundingBoxes { get; set; } = [];
    }

    private static IDataView Paths(MLContext ml, params string[] files) =>
        ml.Data.LoadFromEnumerable(files.Select(f => new ImageRow { ImagePath = f }));

    private static IEstimator<ITransformer> Pipeline(MLContext ml, HaarCascadeDetectorOptions? options = null) =>
        ml.Transforms.LoadImages("Image", _directory, nameof(ImageRow.ImagePath))
            .Append(ml.Transforms.DetectObjectsWithHaarCascade(options ?? new HaarCascadeDetectorOptions { CascadePath = HaarTestData.Cascade(FaceCascade) }));

    [TestMethod]
    public void GrayConversionMatchesOpenCvCvtColor()
    {
        using var color = Cv2.ImRead(HaarTestData.SkimagePhoto("astronaut.png"), ImreadModes.Color);
        using var gray = new Mat();
        Cv2.CvtColor(color, gray, ColorConversionCodes.BGR2GRAY);
        color.GetArray(out Vec3b[] bgr);
        var bytes = new byte[bgr.Length * 3];
        for (int i = 0; i < bgr.Length; i++)
            (bytes[3 * i], bytes[3 * i + 1], bytes[3 * i + 2]) = (bgr[i].Item0, bgr[i].Item1, bgr[i].Item2);
        CollectionAssert.AreEqual(HaarTestData.Pixels(gray), GrayConversion.FromBgr(bytes, color.Width, color.Height));
    }

    [TestMethod]
    public void PipelineOnPngEqualsOpenCvOnTheSamePng()
    {
        var ml = new MLContext(seed: 1);
        var model = Pipeline(ml).Fit(Paths(ml, "astronaut-240.png"));
        var row = ml.Data.CreateEnumerable<DetectionRow>(model.Transform(Paths(ml, "astronaut-240.png")), reuseRowObject: false).Single();

        using var classifier = new CascadeClassifier(HaarTestData.Cascade(FaceCascade));
        using var color = Cv2.ImRead(_photo, ImreadModes.Color);
        var expected = HaarTestData.OpenCvDetect(classifier, color, 1.1, 3);
        Assert.IsTrue(expected.Length > 0, "OpenCV finds no face; the comparison would be empty.");
        var actual = HaarTestData.Sorted(Enumerable.Range(0, row.Score.Length).Select(i => new Rect(
            (int)row.PredictedBoundingBoxes[4 * i], (int)row.PredictedBoundingBoxes[4 * i + 1],
            (int)(row.PredictedBoundingBoxes[4 * i + 2] - row.PredictedBoundingBoxes[4 * i]),
            (int)(row.PredictedBoundingBoxes[4 * i + 3] - row.PredictedBoundingBoxes[4 * i + 1]))));
        CollectionAssert.AreEqual(expected, actual);
        CollectionAssert.AreEqual(Enumerable.Repeat(1u, row.Score.Length).ToArray(), row.PredictedLabel);
        Assert.IsTrue(row.Score.All(s => s > 3), $"Scores are neighbour counts above MinNeighbors 3, got [{string.Join(", ", row.Score)}].");

        var names = default(VBuffer<ReadOnlyMemory<char>>);
        model.Transform(Paths(ml, "astronaut-240.png")).Schema["PredictedLabel"].GetKeyValues(ref names);
        Assert.AreEqual("frontalface_alt2", names.DenseValues().Single().ToString());
    }

    [TestMethod]
    public void ScoresAreTheMergedHitCountsOfOpenCvGrouping()
    {
        using var color = Cv2.ImRead(_photo, ImreadModes.Color);
        using var gray = new Mat();
        Cv2.CvtColor(color, gray, ColorConversionCodes.BGR2GRAY);
        var detector = new HaarDetector(HaarCascade.Load(HaarTestData.Cascade(FaceCascade)));
        var pixels = HaarTestData.Pixels(gray);
        var raw = detector.FindWindows(pixels, gray.Width, gray.Height, gray.Width, new HaarDetectionOptions());
        var grouped = raw.Select(r => new Rect(r.X, r.Y, r.Width, r.Height)).ToList();
        Cv2.GroupRectangles(grouped, out int[] weights, 3, 0.2);
        var ours = detector.Detect(pixels, gray.Width, gray.Height, new HaarDetectionOptions());
        Assert.IsTrue(weights.Length > 0);
        CollectionAssert.AreEqual(weights, ours.Select(d => d.Neighbors).ToArray());
    }

    [TestMethod]
    public void ModelZipReloadsInThisAndInAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        var model = Pipeline(ml, new HaarCascadeDetectorOptions
        {
            CascadePath = HaarTestData.Cascade(FaceCascade),
            ClassName = "face",
            MinNeighbors = 2,
            MinSize = new System.Drawing.Size(30, 30),
        }).Fit(Paths(ml, "astronaut-240.png"));
        string zip = Path.Combine(_directory, "haar-model.zip");
        ml.Model.Save(model, null, zip);
        string[] expected = Score(ml, model);
        Assert.IsTrue(expected.Length > 1, "No detection to compare.");

        var reloaded = new MLContext(seed: 1).RegisterDeepExtensions().Model.Load(zip, out _);
        CollectionAssert.AreEqual(expected, Score(ml, reloaded));

        var child = FreshProcessLoader.Run(zip, register: true, scenario: "haar");
        Assert.AreEqual(0, child.ExitCode, string.Join('\n', child.Lines) + child.StandardError);
        CollectionAssert.AreEqual(expected, child.Lines.Skip(1).ToArray());
    }

    /// <summary>The detections of the test photo as text lines (also run by the fresh child process).</summary>
    internal static string[] Score(MLContext ml, ITransformer model)
    {
        var output = model.Transform(ml.Data.LoadFromEnumerable(new[] { new ImageRow { ImagePath = "astronaut-240.png" } }));
        var names = default(VBuffer<ReadOnlyMemory<char>>);
        output.Schema["PredictedLabel"].GetKeyValues(ref names);
        var lines = new List<string> { "classes=" + string.Join(",", names.DenseValues()) };
        foreach (var row in ml.Data.CreateEnumerable<DetectionRow>(output, reuseRowObject: false))
            lines.Add($"labels={string.Join(",", row.PredictedLabel)} scores={string.Join(",", row.Score)} boxes={string.Join(",", row.PredictedBoundingBoxes)}");
        return lines.ToArray();
    }

    private sealed class InMemoryImage
    {
        [ImageType(240, 240)]
        public MLImage? Image { get; set; }
    }

    [TestMethod]
    public void PredictionEngineGivesTheSameDetectionsAsTransform()
    {
        var ml = new MLContext(seed: 1);
        using var image = MLImage.CreateFromFile(_photo);
        var data = ml.Data.LoadFromEnumerable(new[] { new InMemoryImage { Image = image } });
        var model = ml.Transforms.DetectObjectsWithHaarCascade(HaarTestData.Cascade(FaceCascade)).Fit(data);
        var batch = ml.Data.CreateEnumerable<DetectionRow>(model.Transform(data), reuseRowObject: false).Single();
        using var engine = ml.Model.CreatePredictionEngine<InMemoryImage, DetectionRow>(model);
        var single = engine.Predict(new InMemoryImage { Image = image });
        Assert.IsTrue(batch.Score.Length > 0, "No detection to compare.");
        CollectionAssert.AreEqual(batch.PredictedBoundingBoxes, single.PredictedBoundingBoxes);
        CollectionAssert.AreEqual(batch.Score, single.Score);
        CollectionAssert.AreEqual(batch.PredictedLabel, single.PredictedLabel);
    }

    [TestMethod]
    public void SingleThreadedAndParallelScansAreIdentical()
    {
        using var gray = HaarTestData.Gray(HaarTestData.SkimagePhoto("astronaut.png"), 256);
        var pixels = HaarTestData.Pixels(gray);
        var detector = new HaarDetector(HaarCascade.Load(HaarTestData.Cascade("haarcascade_eye.xml")));
        var one = detector.FindWindows(pixels, gray.Width, gray.Height, gray.Width, new HaarDetectionOptions { MaxDegreeOfParallelism = 1 });
        var many = detector.FindWindows(pixels, gray.Width, gray.Height, gray.Width, new HaarDetectionOptions { MaxDegreeOfParallelism = 4 });
        Assert.IsTrue(one.Count > 10);
        CollectionAssert.AreEqual(one, many);
    }

    [TestMethod]
    public void ReusedBuffersGiveTheSameHitsAsAFreshDetector()
    {
        // Larger, smaller, larger: the second scan runs in buffers wider than its image.
        var cascade = HaarCascade.Load(HaarTestData.Cascade("haarcascade_eye_tree_eyeglasses.xml"));
        var reused = new HaarDetector(cascade);
        foreach (int side in new[] { 200, 140, 200 })
        {
            using var gray = HaarTestData.Gray(HaarTestData.SkimagePhoto("astronaut.png"), side);
            var pixels = HaarTestData.Pixels(gray);
            var options = new HaarDetectionOptions { MaxDegreeOfParallelism = 1 };
            var expected = new HaarDetector(cascade).FindWindows(pixels, gray.Width, gray.Height, gray.Width, options);
            CollectionAssert.AreEqual(expected, reused.FindWindows(pixels, gray.Width, gray.Height, gray.Width, options), $"side {side}");
        }
    }

    [TestMethod]
    public void ImageSmallerThanTheWindowHasNoDetections()
    {
        var detector = new HaarDetector(HaarCascade.Load(HaarTestData.Cascade("haarcascade_frontalface_default.xml")));
        var pixels = Enumerable.Range(0, 23 * 40).Select(i => (byte)(i * 37)).ToArray();
        Assert.AreEqual(0, detector.Detect(pixels, 23, 40).Count);
        Assert.AreEqual(0, detector.Detect(pixels[..1], 1, 1).Count);
    }

    [TestMethod]
    public void AbsurdParametersNameTheOptionAndTheValue()
    {
        var ml = new MLContext();
        string cascade = HaarTestData.Cascade(FaceCascade);
        AssertRefused(() => ml.Transforms.DetectObjectsWithHaarCascade(cascade, scaleFactor: 1), "ScaleFactor must be a finite number greater than 1, got 1.");
        AssertRefused(() => ml.Transforms.DetectObjectsWithHaarCascade(cascade, scaleFactor: 0.9), "ScaleFactor must be a finite number greater than 1, got 0.9.");
        AssertRefused(() => ml.Transforms.DetectObjectsWithHaarCascade(cascade, minNeighbors: -1), "MinNeighbors must be zero or positive, got -1.");
        AssertRefused(() => ml.Transforms.DetectObjectsWithHaarCascade(new HaarCascadeDetectorOptions
        {
            CascadePath = cascade,
            MinSize = new System.Drawing.Size(50, 50),
            MaxSize = new System.Drawing.Size(40, 60),
        }), "MinSize 50x50 must not exceed MaxSize 40x60.");
        AssertRefused(() => ml.Transforms.DetectObjectsWithHaarCascade(new HaarCascadeDetectorOptions
        {
            CascadePath = cascade,
            MinSize = new System.Drawing.Size(-1, 20),
        }), "MinSize must not be negative, got -1x20.");
        AssertRefused(() => ml.Transforms.DetectObjectsWithHaarCascade(new HaarCascadeDetectorOptions()), "CascadePath must name a cascade XML file");
        var missing = Assert.ThrowsExactly<FileNotFoundException>(() => ml.Transforms.DetectObjectsWithHaarCascade("/nonexistent/cascade.xml"));
        StringAssert.Contains(missing.Message, "/nonexistent/cascade.xml");
    }

    [TestMethod]
    public void WrongImageColumnIsASchemaError()
    {
        var ml = new MLContext();
        var data = Paths(ml, "astronaut-240.png");
        var estimator = ml.Transforms.DetectObjectsWithHaarCascade(HaarTestData.Cascade(FaceCascade), imageColumnName: "ImagePath");
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.Fit(data));
        StringAssert.Contains(e.Message, "Schema mismatch for image column 'ImagePath': expected Image");
    }

    private static void AssertRefused(Action action, string message)
    {
        var e = Assert.Throws<ArgumentException>(action);
        StringAssert.Contains(e.Message, message);
    }
}
