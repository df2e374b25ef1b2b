using System.Diagnostics;
using System.Drawing;
using DeepExtensions.Cli.Haar;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Vision.Haar;
using Microsoft.ML.DeepExtensions.Vision.Haar.Training;
using OpenCvSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Haar.Training;

/// <summary>
/// One cascade trained on the generated disk data set (a bright disk on varied backgrounds), then
/// checked on held-out generated scenes: against their true boxes, and against OpenCV running the XML
/// the trainer wrote.
/// </summary>
[TestClass]
public sealed class HaarCascadeTrainingTests
{
    // Small enough for the test budget: a 16x16 window has 32,384 basic features.
    private const int Window = 16;

    private static HaarCascadeDetector _detector = null!;
    private static HaarCascadeEstimator _estimator = null!;
    private static List<HaarStageProgress> _reported = null!;
    private static List<GrayScene> _scenes = null!;
    private static string _directory = null!;

    [ClassInitialize]
    public static void Train(TestContext _)
    {
        _directory = Directory.CreateTempSubdirectory("haar-train-").FullName;
        var ml = new MLContext(seed: 1);
        var random = new Random(7);
        var positives = ShapeDataSet.Positives(ml, random, 300, Window);
        _reported = new List<HaarStageProgress>();
        var clock = Stopwatch.StartNew();
        _estimator = ml.Transforms.TrainHaarCascade(new HaarCascadeEstimator.Options
        {
            NegativeImages = ShapeDataSet.Negatives(ml, random, 100, 160, 120),
            WindowWidth = Window,
            WindowHeight = Window,
            // Fewer, stronger stages than OpenCV's defaults: each stage costs a sort of every feature.
            StageCount = 6,
            MaxFalseAlarmRate = 0.2,
            NegativesPerStage = 250,
            Progress = new ListProgress(_reported),
        });
        _detector = _estimator.Fit(positives);
        Console.WriteLine($"trained {_detector.Cascade.Stages.Count} stages in {clock.Elapsed.TotalSeconds:0.0} s (process CPU {Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:0.0} s): {_estimator.StopReason}");
        foreach (var stage in _reported)
            Console.WriteLine(stage);
        _scenes = ShapeDataSet.Scenes(new Random(2024), 30, 160, 120, Window, 4 * Window);
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        if (_directory is not null && Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }

    [TestMethod]
    public void DetectsTheDiskOnHeldOutScenes()
    {
        var detector = new HaarDetector(_detector.Cascade);
        var total = new DetectionScore(0, 0, 0, 0);
        foreach (var scene in _scenes)
            total = total.Add(BoxMatching.Score(scene.Boxes, detector.Detect(scene.Pixels, scene.Width, scene.Height).Select(d => d.Box).ToList()));
        Console.WriteLine($"held-out scenes: {total.Images} images, {total.Objects} disks, hit rate {total.HitRate:0.000} ({total.Found}/{total.Objects}), " +
            $"{total.FalsePositivesPerImage:0.00} false positives per image (IoU >= {BoxMatching.MinIoU})");
        Assert.IsTrue(total.Objects >= 40, $"Too few disks to measure: {total.Objects}.");
        Assert.IsTrue(total.HitRate >= 0.9, $"Hit rate {total.HitRate:0.000} is below 0.9.");
        Assert.IsTrue(total.FalsePositivesPerImage <= 1.0, $"{total.FalsePositivesPerImage:0.00} false positives per image, more than 1.");
    }

    [TestMethod]
    public void OpenCvLoadsTheWrittenXmlAndFindsTheSameBoxes()
    {
        string path = Path.Combine(_directory, "disk.xml");
        _detector.Cascade.Save(path);
        using var classifier = new CascadeClassifier(path);
        Assert.IsFalse(classifier.Empty(), "OpenCV could not load the cascade.");
        var window = classifier.GetOriginalWindowSize();
        Assert.AreEqual(new OpenCvSharp.Size(Window, Window), window);
        var ours = new HaarDetector(_detector.Cascade);
        int compared = 0;
        foreach (var scene in _scenes)
        {
            using var gray = Mat.FromPixelData(scene.Height, scene.Width, MatType.CV_8UC1, scene.Pixels);
            foreach (int neighbours in new[] { 0, 3 })
            {
                var expected = HaarTestData.OpenCvDetect(classifier, gray, 1.1, neighbours);
                var actual = HaarTestData.Sorted(ours.Detect(scene.Pixels, scene.Width, scene.Height, new HaarDetectionOptions { MinNeighbors = neighbours })
                    .Select(d => new Rect(d.Box.X, d.Box.Y, d.Box.Width, d.Box.Height)));
                CollectionAssert.AreEqual(expected, actual, $"minNeighbors {neighbours}: OpenCV [{string.Join(", ", expected)}], ours [{string.Join(", ", actual)}]");
                compared += expected.Length;
            }
        }
        Assert.IsTrue(compared > _scenes.Count, $"Only {compared} boxes compared.");
    }

    [TestMethod]
    public void EachStageIsReportedAndMeetsItsTargets()
    {
        Assert.AreEqual(_detector.Cascade.Stages.Count, _reported.Count);
        CollectionAssert.AreEqual(_estimator.TrainingHistory.ToArray(), _reported.ToArray());
        Assert.IsTrue(_reported.Count >= 3, $"Only {_reported.Count} stages trained: {_estimator.StopReason}");
        for (int s = 0; s < _reported.Count; s++)
        {
            var stage = _reported[s];
            Assert.AreEqual(s + 1, stage.Stage);
            Assert.AreEqual(_detector.Cascade.Stages[s].Trees.Count, stage.WeakClassifiers);
            Assert.IsTrue(stage.HitRate >= 0.995, stage.ToString());
            Assert.IsTrue(stage.FalseAlarmRate <= 0.2 || stage.WeakClassifiers == 100, stage.ToString());
            Assert.AreEqual(250, stage.Negatives, stage.ToString());
            if (s > 0)
            {
                // Each stage's negatives are what the cascade so far lets through, so it accepts fewer and fewer.
                Assert.IsTrue(stage.NegativeAcceptanceRatio < 1, stage.ToString());
                Assert.IsTrue(stage.Positives <= _reported[s - 1].Positives, stage.ToString());
            }
        }
        Assert.IsTrue(_detector.Cascade.IsStumpBased);
    }

    [TestMethod]
    public void TheFittedDetectorPersistsInModelZip()
    {
        var ml = new MLContext(seed: 1);
        var images = ShapeDataSet.Images(ml, _scenes.Take(5).Select(s => (s.Pixels, s.Width, s.Height)));
        string zip = Path.Combine(_directory, "disk-model.zip");
        ml.Model.Save(_detector, null, zip);
        var reloaded = new MLContext(seed: 1).RegisterDeepExtensions().Model.Load(zip, out _);
        var expected = Boxes(ml, _detector, images);
        Assert.IsTrue(expected.Sum(b => b.Length) > 0, "No detection to compare.");
        var actual = Boxes(ml, reloaded, images);
        for (int i = 0; i < expected.Count; i++)
            CollectionAssert.AreEqual(expected[i], actual[i], $"image {i}");
    }

    private static List<float[]> Boxes(MLContext ml, ITransformer model, IDataView images)
    {
        var output = model.Transform(images);
        var boxes = output.GetColumn<VBuffer<float>>("PredictedBoundingBoxes").Select(b => b.DenseValues().ToArray()).ToList();
        return boxes;
    }

    // Records synchronously, on the training thread (Progress<T> would post to the thread pool).
    private sealed class ListProgress(List<HaarStageProgress> list) : IProgress<HaarStageProgress>
    {
        public void Report(HaarStageProgress value) => list.Add(value);
    }
}
