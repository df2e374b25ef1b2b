using System.Diagnostics;
using System.Drawing;
using DeepExtensions.Cli.Haar;
using Microsoft.ML.DeepExtensions.Vision.Haar;
using Microsoft.ML.DeepExtensions.Vision.Haar.Training;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Haar.Training;

[TestClass]
public sealed class HaarCascadeTrainingTests
{
    [TestMethod]
    public void Explore()
    {
        int window = int.Parse(Environment.GetEnvironmentVariable("HT_WIN") ?? "20");
        int pos = int.Parse(Environment.GetEnvironmentVariable("HT_POS") ?? "300");
        int neg = int.Parse(Environment.GetEnvironmentVariable("HT_NEG") ?? "300");
        int stages = int.Parse(Environment.GetEnvironmentVariable("HT_STAGES") ?? "6");
        var ml = new MLContext(seed: 1);
        var random = new Random(7);
        var positives = ShapeDataSet.Positives(ml, random, pos, window);
        var negatives = ShapeDataSet.Negatives(ml, random, 60, 160, 120);
        var clock = Stopwatch.StartNew();
        var estimator = new HaarCascadeEstimator(ml, new HaarCascadeEstimator.Options
        {
            NegativeImages = negatives, WindowWidth = window, WindowHeight = window, StageCount = stages,
            NegativesPerStage = neg, MaxFalseAlarmRate = 0.5, MinHitRate = 0.995,
            Progress = new Progress<HaarStageProgress>(p => Console.WriteLine(p)),
        });
        var cascade = estimator.TrainCascade(positives);
        Console.WriteLine($"trained in {clock.Elapsed.TotalSeconds:0.0} s, cpu {System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:0.0} s: {estimator.StopReason}");
        var scenes = ShapeDataSet.Scenes(new Random(99), 40, 160, 120, window, 4 * window);
        var detector = new HaarDetector(cascade);
        var total = new DetectionScore(0, 0, 0, 0);
        foreach (var scene in scenes)
        {
            var found = detector.Detect(scene.Pixels, scene.Width, scene.Height).Select(d => d.Box).ToList();
            total = total.Add(BoxMatching.Score(scene.Boxes, found));
            foreach (var t in scene.Boxes)
            {
                double best = found.Count == 0 ? 0 : found.Max(f => BoxMatching.IoU(t, f));
                if (best < 0.5) Console.WriteLine($"miss {t} best IoU {best:0.00}; raw {detector.Detect(scene.Pixels, scene.Width, scene.Height, new HaarDetectionOptions { MinNeighbors = 0 }).Count(d => BoxMatching.IoU(t, d.Box) > 0.4)}");
            }
        }
        Console.WriteLine($"hit rate {total.HitRate:0.000} ({total.Found}/{total.Objects}), false positives per image {total.FalsePositivesPerImage:0.00}");
    }
}
