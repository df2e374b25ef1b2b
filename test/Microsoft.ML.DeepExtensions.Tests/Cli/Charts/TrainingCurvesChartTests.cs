using DeepExtensions.Cli.Commands;
using DeepExtensions.Cli.Output.Charts;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Tests.Vision.Data;
using Microsoft.ML.DeepExtensions.Training;

namespace Microsoft.ML.DeepExtensions.Tests.Cli.Charts;

[TestClass]
public sealed class TrainingCurvesChartTests
{
    private string _folder = "";

    [TestInitialize]
    public void CreateFolder() => _folder = IdxTestFiles.TempFolder();

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    public void LossAndAccuracyPanelsFollowTheHistory()
    {
        var history = History(8, validation: true);
        var path = Path.Combine(_folder, "curves.png");
        var panels = TrainingCurvesChart.CreatePlots(history);

        ChartPng.Write(path, 2 * TrainingCurvesChart.PanelWidth, TrainingCurvesChart.Height, overwrite: false, panels);

        using var image = new ChartPixels(path);
        Assert.AreEqual((2 * TrainingCurvesChart.PanelWidth, TrainingCurvesChart.Height), (image.Width, image.Height));
        int w = TrainingCurvesChart.PanelWidth;
        var loss = panels[0].PlotArea;
        var trainingLoss = image.Matching(TrainingCurvesChart.TrainingColor, (int)loss.Left, (int)loss.Top, (int)loss.Right, (int)loss.Bottom);
        var validationLoss = image.Matching(TrainingCurvesChart.ValidationColor, (int)loss.Left, (int)loss.Top, (int)loss.Right, (int)loss.Bottom);
        Assert.IsTrue(trainingLoss.Count > 200, $"training loss pixels {trainingLoss.Count}");
        Assert.IsTrue(validationLoss.Count > 200, $"validation loss pixels {validationLoss.Count}");
        // Falling loss: the line is high (small y) on the left of the panel and low on the right.
        Assert.IsTrue(MeanY(trainingLoss, loss.Left, loss.Left + loss.Width / 4) < MeanY(trainingLoss, loss.Right - loss.Width / 4, loss.Right) - 100);

        var accuracy = panels[1].PlotArea;
        var (ax0, ay0, ax1, ay1) = (w + (int)accuracy.Left, (int)accuracy.Top, w + (int)accuracy.Right, (int)accuracy.Bottom);
        var validationAccuracy = image.Matching(TrainingCurvesChart.ValidationColor, ax0, ay0, ax1, ay1);
        var trainingAccuracy = image.Matching(TrainingCurvesChart.TrainingColor, ax0, ay0, ax1, ay1);
        Assert.IsTrue(validationAccuracy.Count > 200, $"validation accuracy pixels {validationAccuracy.Count}");
        Assert.IsTrue(trainingAccuracy.Count > 200, $"training accuracy pixels {trainingAccuracy.Count}");
        // Rising accuracy: low (large y) on the left, high on the right; training above validation.
        double quarter = accuracy.Width / 4;
        Assert.IsTrue(MeanY(validationAccuracy, ax0, ax0 + quarter) > MeanY(validationAccuracy, ax1 - quarter, ax1) + 100);
        Assert.IsTrue(MeanY(trainingAccuracy, ax1 - quarter, ax1) < MeanY(validationAccuracy, ax1 - quarter, ax1) - 20);
    }

    [TestMethod]
    public void ValidationWithoutTrainingMetricDrawsOnlyTheValidationMetric()
    {
        var history = History(6, validation: true).Select(p => p with { TrainingMetric = null }).ToArray();
        var path = Path.Combine(_folder, "curves.png");
        var panels = TrainingCurvesChart.CreatePlots(history);

        ChartPng.Write(path, 2 * TrainingCurvesChart.PanelWidth, TrainingCurvesChart.Height, overwrite: false, panels);

        using var image = new ChartPixels(path);
        int w = TrainingCurvesChart.PanelWidth;
        Assert.IsTrue(image.Matching(TrainingCurvesChart.ValidationColor, w, 0, 2 * w, image.Height, tolerance: 10).Count > 200);
        Assert.AreEqual(0, image.Matching(TrainingCurvesChart.TrainingColor, w, 0, 2 * w, image.Height, tolerance: 10).Count, "no training line in the metric panel");
    }

    [TestMethod]
    public void WithoutMetricsOnlyTheTrainingLossIsDrawn()
    {
        var path = Path.Combine(_folder, "curves.png");

        TrainingCurvesChart.Write(History(5, validation: false, trainingMetric: false), path);

        using var image = new ChartPixels(path);
        Assert.AreEqual((TrainingCurvesChart.PanelWidth, TrainingCurvesChart.Height), (image.Width, image.Height));
        Assert.IsTrue(image.Matching(TrainingCurvesChart.TrainingColor, 0, 0, image.Width, image.Height, tolerance: 10).Count > 200);
        Assert.AreEqual(0, image.Matching(TrainingCurvesChart.ValidationColor, 0, 0, image.Width, image.Height, tolerance: 10).Count);
    }

    [TestMethod]
    public void ExistingFileIsKeptUnlessOverwriteIsAsked()
    {
        var path = Path.Combine(_folder, "curves.png");
        File.WriteAllText(path, "the user's file");

        var error = Assert.ThrowsExactly<CliException>(() => TrainingCurvesChart.Write(History(3, validation: true), path));

        StringAssert.Contains(error.Message, "already exists (pass --force to overwrite it)");
        Assert.AreEqual("the user's file", File.ReadAllText(path));
        TrainingCurvesChart.Write(History(3, validation: true), path, overwrite: true);
        using (var image = new ChartPixels(path))
            Assert.AreEqual(2 * TrainingCurvesChart.PanelWidth, image.Width);
        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(_folder), "no temporary file left behind");
    }

    [TestMethod]
    public void EmptyHistoryIsRefused()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => TrainingCurvesChart.Write(Array.Empty<TrainingProgress>(), Path.Combine(_folder, "x.png")));

        StringAssert.Contains(error.Message, "The training history is empty");
    }

    [TestMethod]
    public void ImageAnalyticsResizesAChartInTheSameProcess()
    {
        // OxyPlot.SkiaSharp and Microsoft.ML.ImageAnalytics share one SkiaSharp (3.119.4 with ML.NET 6); a
        // SkiaSharp ImageAnalytics was not built against fails ResizeImages with MissingMethodException at run time.
        var path = Path.Combine(_folder, "curves.png");
        TrainingCurvesChart.Write(History(4, validation: false, trainingMetric: false), path);
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new ImageRow { ImagePath = path } });

        var pixels = ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", imageWidth: 16, imageHeight: 12))
            .Append(ml.Transforms.ExtractPixels("Features", "Image"))
            .Fit(data).Transform(data);

        var features = pixels.GetColumn<VBuffer<float>>("Features").Single().DenseValues().ToArray();
        Assert.AreEqual(3 * 16 * 12, features.Length);
        // A chart is mostly white background with some darker lines and text.
        Assert.IsTrue(features.Average() > 200 && features.Min() < 245, $"mean {features.Average():F0}, min {features.Min():F0}");
    }

    private static double MeanY(List<(int X, int Y)> pixels, double x0, double x1) =>
        pixels.Where(p => p.X >= x0 && p.X < x1).Average(p => p.Y);

    private static TrainingProgress[] History(int epochs, bool validation, bool trainingMetric = true) =>
        Enumerable.Range(1, epochs).Select(e => new TrainingProgress(
            e, epochs,
            TrainingLoss: 2.0 / e,
            ValidationLoss: validation ? 2.2 / e + 0.1 : null,
            ValidationMetricName: "Accuracy",
            ValidationMetric: validation ? 0.3 + 0.5 * (e - 1) / (epochs - 1) : null,
            LearningRate: 0.001,
            RowsPerSecond: 1000,
            Elapsed: TimeSpan.FromSeconds(e),
            IsBest: true,
            TrainingMetric: trainingMetric ? 0.4 + 0.55 * (e - 1) / (epochs - 1) : null)).ToArray();

    private sealed class ImageRow
    {
        public string ImagePath { get; set; } = "";
    }
}
