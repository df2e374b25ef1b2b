using Microsoft.ML.Data;

namespace Microsoft.ML.DeepExtensions.Tests.Trainers;

/// <summary>Small, seeded, separable data sets for trainer tests.</summary>
internal static class SyntheticData
{
    public const int FeatureCount = 4;

    public sealed class BinaryRow
    {
        [VectorType(FeatureCount)] public float[] Features { get; set; } = Array.Empty<float>();
        public bool Label { get; set; }
    }

    public sealed class ClassRow
    {
        [VectorType(FeatureCount)] public float[] Features { get; set; } = Array.Empty<float>();
        public string Label { get; set; } = "";
    }

    public sealed class RegressionRow
    {
        [VectorType(FeatureCount)] public float[] Features { get; set; } = Array.Empty<float>();
        public float Label { get; set; }
    }

    private static float[] Point(Random random, float center, float spread = 1f) =>
        Enumerable.Range(0, FeatureCount).Select(_ => center + spread * (float)Gaussian(random)).ToArray();

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    public static List<BinaryRow> Binary(int rows, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows).Select(i =>
        {
            bool label = i % 2 == 0;
            return new BinaryRow { Features = Point(random, label ? 1f : -1f), Label = label };
        }).ToList();
    }

    public static readonly string[] ClassNames = { "setosa", "versicolor", "virginica" };

    public static List<ClassRow> Multiclass(int rows, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows).Select(i =>
        {
            int label = i % 3;
            return new ClassRow { Features = Point(random, 2.5f * (label - 1), 0.7f), Label = ClassNames[label] };
        }).ToList();
    }

    public static List<RegressionRow> Regression(int rows, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows).Select(_ =>
        {
            var x = Point(random, 0f);
            return new RegressionRow { Features = x, Label = 2f * x[0] - x[1] + 0.5f * x[2] * x[3] + 0.05f * (float)Gaussian(random) };
        }).ToList();
    }
}
