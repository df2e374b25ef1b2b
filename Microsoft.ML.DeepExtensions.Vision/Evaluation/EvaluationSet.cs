namespace Microsoft.ML.DeepExtensions.Vision.Evaluation;

/// <summary>A box as COCO stores it: top-left corner and size, in pixels.</summary>
internal readonly record struct XywhBox(double X, double Y, double Width, double Height)
{
    public double Area => Width * Height;

    public static XywhBox FromCorners(double x0, double y0, double x1, double y1) => new(x0, y0, x1 - x0, y1 - y0);
}

/// <summary>A ground-truth object: category index, box, area (COCO's <c>area</c>, the segment's for COCO data), crowd flag.</summary>
internal readonly record struct GroundTruthObject(int Category, XywhBox Box, double Area, bool IsCrowd);

/// <summary>A predicted object: category index, box, score.</summary>
internal readonly record struct PredictedObject(int Category, XywhBox Box, double Score);

/// <summary>What the detection metrics are computed over: the categories and, per image, its ground truth and predictions.</summary>
internal sealed class EvaluationSet
{
    public EvaluationSet(IReadOnlyList<string> categoryNames, IReadOnlyList<IReadOnlyList<GroundTruthObject>> groundTruth, IReadOnlyList<IReadOnlyList<PredictedObject>> predictions)
    {
        if (groundTruth.Count != predictions.Count)
            throw new ArgumentException($"Ground truth covers {groundTruth.Count} images, predictions {predictions.Count}.");
        var duplicate = categoryNames.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidDataException($"Category name '{duplicate.Key}' is used by more than one category; per-class results are keyed by name.");
        CategoryNames = categoryNames;
        GroundTruth = groundTruth;
        Predictions = predictions;
        foreach (var image in groundTruth)
        {
            foreach (var g in image)
                CheckCategory(g.Category);
        }
        foreach (var image in predictions)
        {
            foreach (var p in image)
                CheckCategory(p.Category);
        }
    }

    public IReadOnlyList<string> CategoryNames { get; }

    public IReadOnlyList<IReadOnlyList<GroundTruthObject>> GroundTruth { get; }

    public IReadOnlyList<IReadOnlyList<PredictedObject>> Predictions { get; }

    public int ImageCount => GroundTruth.Count;

    private void CheckCategory(int category)
    {
        if ((uint)category >= (uint)CategoryNames.Count)
            throw new ArgumentOutOfRangeException(nameof(category), $"Category index {category} is outside the {CategoryNames.Count} categories.");
    }
}
