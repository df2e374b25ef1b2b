using DeepExtensions.Cli.Haar;
using Microsoft.ML.DeepExtensions.Vision.Haar;
using Microsoft.ML.DeepExtensions.Vision.Haar.Training;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Haar.Training;

/// <summary>Option checks, bad data, cancellation and repeatability, on tiny cascades (10x10 window).</summary>
[TestClass]
public sealed class HaarCascadeEstimatorTests
{
    private const int Window = 10;

    [TestMethod]
    [DataRow(nameof(HaarCascadeEstimator.Options.MinHitRate), 0.0, "MinHitRate must be in (0, 1], got 0.")]
    [DataRow(nameof(HaarCascadeEstimator.Options.MinHitRate), 1.5, "MinHitRate must be in (0, 1], got 1.5.")]
    [DataRow(nameof(HaarCascadeEstimator.Options.MinHitRate), double.NaN, "MinHitRate must be in (0, 1], got NaN.")]
    [DataRow(nameof(HaarCascadeEstimator.Options.MaxFalseAlarmRate), 0.0, "MaxFalseAlarmRate must be in (0, 1), got 0.")]
    [DataRow(nameof(HaarCascadeEstimator.Options.MaxFalseAlarmRate), 1.0, "MaxFalseAlarmRate must be in (0, 1), got 1.")]
    [DataRow(nameof(HaarCascadeEstimator.Options.WindowWidth), 5.0, "The window must be at least 6x6 pixels, got 5x24.")]
    [DataRow(nameof(HaarCascadeEstimator.Options.StageCount), 0.0, "StageCount must be at least 1, got 0.")]
    [DataRow(nameof(HaarCascadeEstimator.Options.MaxWeakCount), 0.0, "MaxWeakCount must be at least 1, got 0.")]
    [DataRow(nameof(HaarCascadeEstimator.Options.NegativesPerStage), -3.0, "NegativesPerStage must be at least 1, got -3.")]
    public void BadOptionsNameTheOptionValueAndRule(string option, double value, string message)
    {
        var options = new HaarCascadeEstimator.Options { NegativeImagePaths = ["background.png"] };
        switch (option)
        {
            case nameof(options.MinHitRate): options.MinHitRate = value; break;
            case nameof(options.MaxFalseAlarmRate): options.MaxFalseAlarmRate = value; break;
            case nameof(options.WindowWidth): options.WindowWidth = (int)value; break;
            case nameof(options.StageCount): options.StageCount = (int)value; break;
            case nameof(options.MaxWeakCount): options.MaxWeakCount = (int)value; break;
            case nameof(options.NegativesPerStage): options.NegativesPerStage = (int)value; break;
        }
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MLContext().Transforms.TrainHaarCascade(options));
        Assert.AreEqual(option, error.ParamName);
        StringAssert.StartsWith(error.Message, message);
    }

    [TestMethod]
    public void NegativesMustBeGivenOnce()
    {
        var ml = new MLContext();
        var none = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.TrainHaarCascade(new HaarCascadeEstimator.Options()));
        StringAssert.Contains(none.Message, "NegativeImagePaths or NegativeImages");
        var both = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.TrainHaarCascade(new HaarCascadeEstimator.Options
        {
            NegativeImagePaths = ["a.png"],
            NegativeImages = ShapeDataSet.Negatives(ml, new Random(1), 1, 20, 20),
        }));
        StringAssert.Contains(both.Message, "not both");
    }

    [TestMethod]
    public void NoPositivesIsRefused()
    {
        var ml = new MLContext(seed: 1);
        var estimator = ml.Transforms.TrainHaarCascade(Options(ml, negatives: 2));
        var error = Assert.ThrowsExactly<ArgumentException>(() => estimator.Fit(ShapeDataSet.Images(ml, [])));
        StringAssert.Contains(error.Message, "no rows");
        StringAssert.Contains(error.Message, "'Image'");
    }

    [TestMethod]
    public void NegativeSmallerThanTheWindowIsNamed()
    {
        var ml = new MLContext(seed: 1);
        var options = Options(ml, negatives: 0);
        options.NegativeImages = ShapeDataSet.Images(ml, [(ShapeScenes.Background(new Random(1), 40, 40), 40, 40), (new byte[9 * 30], 9, 30)]);
        var error = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.TrainHaarCascade(options).Fit(Positives(ml, 10)));
        StringAssert.Contains(error.Message, "'Image' row 1 is 9x30, smaller than the 10x10 window");
    }

    [TestMethod]
    public void MissingNegativeFileIsNamed()
    {
        var ml = new MLContext(seed: 1);
        var options = Options(ml, negatives: 0);
        options.NegativeImages = null;
        options.NegativeImagePaths = ["/nonexistent/background.png"];
        var error = Assert.ThrowsExactly<FileNotFoundException>(() => ml.Transforms.TrainHaarCascade(options).Fit(Positives(ml, 10)));
        StringAssert.Contains(error.Message, "'/nonexistent/background.png'");
    }

    [TestMethod]
    public void PositivesColumnMustExistAndHoldImages()
    {
        var ml = new MLContext(seed: 1);
        var estimator = ml.Transforms.TrainHaarCascade(Options(ml, negatives: 2));
        var numbers = ml.Data.LoadFromEnumerable(new[] { new NumberRow { Image = 1 } });
        var mismatch = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.Fit(numbers));
        StringAssert.Contains(mismatch.Message, "Schema mismatch for column 'Image'");
        var other = ml.Transforms.TrainHaarCascade(Options(ml, negatives: 2, column: "Photo"));
        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => other.Fit(Positives(ml, 5)));
        StringAssert.Contains(missing.Message, "'Photo'");
    }

    [TestMethod]
    public void CancelledTokenStopsBeforeTraining()
    {
        var ml = new MLContext(seed: 1);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var options = Options(ml, negatives: 3);
        options.CancellationToken = cancelled.Token;
        Assert.ThrowsExactly<OperationCanceledException>(() => ml.Transforms.TrainHaarCascade(options).Fit(Positives(ml, 30)));
    }

    [TestMethod]
    public void CancellingAfterTheFirstStageStopsTraining()
    {
        var ml = new MLContext(seed: 1);
        using var cancellation = new CancellationTokenSource();
        var stages = new List<HaarStageProgress>();
        var options = Options(ml, negatives: 5);
        options.StageCount = 5;
        options.CancellationToken = cancellation.Token;
        options.Progress = new Recorder(p => { stages.Add(p); cancellation.Cancel(); });
        var estimator = ml.Transforms.TrainHaarCascade(options);
        Assert.ThrowsExactly<OperationCanceledException>(() => estimator.Fit(Positives(ml, 60)));
        Assert.AreEqual(1, stages.Count);
    }

    [TestMethod]
    public void CascadeDoesNotDependOnThreadsOrTheFeatureCache()
    {
        var ml = new MLContext(seed: 1);
        var positives = Positives(ml, 60);
        string Train(int threads, int cacheMegabytes)
        {
            var options = Options(ml, negatives: 5);
            options.MaxDegreeOfParallelism = threads;
            options.FeatureCacheMegabytes = cacheMegabytes;
            options.Seed = 5;
            // Several stages, so that negatives are mined between them.
            options.StageCount = 6;
            using var xml = new MemoryStream();
            ml.Transforms.TrainHaarCascade(options).TrainCascade(positives).Save(xml);
            return System.Text.Encoding.UTF8.GetString(xml.ToArray());
        }
        string reference = Train(threads: 1, cacheMegabytes: 64);
        var cascade = HaarCascade.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(reference)), "reference");
        Assert.IsTrue(cascade.Stages.Count >= 2, reference);
        Assert.AreEqual(reference, Train(threads: -1, cacheMegabytes: 64), "parallel search");
        Assert.AreEqual(reference, Train(threads: 2, cacheMegabytes: 0), "features recomputed instead of cached");
    }

    private static HaarCascadeEstimator.Options Options(MLContext ml, int negatives, string column = "Image") => new()
    {
        NegativeImages = negatives == 0 ? null : ShapeDataSet.Negatives(ml, new Random(2), negatives, 60, 40),
        ImageColumnName = column,
        WindowWidth = Window,
        WindowHeight = Window,
        StageCount = 2,
        NegativesPerStage = 60,
        MaxWeakCount = 10,
    };

    private static IDataView Positives(MLContext ml, int count) => ShapeDataSet.Positives(ml, new Random(3), count, Window);

    private sealed class NumberRow
    {
        public float Image { get; set; }
    }

    private sealed class Recorder(Action<HaarStageProgress> report) : IProgress<HaarStageProgress>
    {
        public void Report(HaarStageProgress value) => report(value);
    }
}
