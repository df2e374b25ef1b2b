namespace Microsoft.ML.DeepExtensions.Vision.Evaluation;

/// <summary>A box as COCO stores it: top-left corner and size, in pixels.</summary>
internal readonly record struct XywhBox(double X, double Y, double Width, double Height)
{
    public double Area => Width * Height;

    public static XywhBox FromCorners(double x0, double y0, double x1, double y1) => new(x0, y0, x1 - x0, y1 - y0);
}

/// <summary>A ground-truth object: category index, box, area (COCO's <c>area</c>, the segment's for COCO data), crowd flag,
/// and its mask for segmentation metrics.</summary>
internal readonly record struct GroundTruthObject(int Category, XywhBox Box, double Area, bool IsCrowd, RunLengthEncodedMask? Mask = null);

/// <summary>A predicted object: category index, box, score, and its mask for segmentation metrics.</summary>
internal readonly record struct PredictedObject(int Category, XywhBox Box, double Score, RunLengthEncodedMask? Mask = null)
{
    /// <summary>The size the COCO area ranges judge an unmatched prediction by: its box area, or its mask area.</summary>
    public double Area(CocoIouType type) => type == CocoIouType.Segmentation ? Mask!.Area() : Box.Area;
}

/// <summary>What the detection metrics are computed over: the categories and, per image, its ground truth and predictions.</summary>
internal sealed class EvaluationSet
{
    public EvaluationSet(IReadOnlyList<string> categoryNames, IReadOnlyList<IReadOnlyList<GroundTruthObject>> groundTruth, IReadOnlyList<IReadOnlyList<PredictedObject>> predictions,
        CocoIouType iouType = CocoIouType.BoundingBox)
    {
        IouType = iouType;
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
        if (iouType == CocoIouType.Segmentation)
            CheckMasks();
    }

    /// <summary>Boxes or masks.</summary>
    public CocoIouType IouType { get; }

    /// <summary>
    /// The IoU of a prediction with a ground truth by <see cref="IouType"/>; with <paramref name="crowdRule"/> and a crowd
    /// ground truth, the intersection over the prediction's own area (COCO's rule for crowd regions).
    /// </summary>
    public double Iou(in PredictedObject p, in GroundTruthObject g, bool crowdRule)
    {
        bool crowd = crowdRule && g.IsCrowd;
        if (IouType == CocoIouType.Segmentation)
        {
            var (intersection, union) = RunLengthEncodedMask.Overlap(p.Mask!, g.Mask!);
            if (intersection == 0)
                return 0;
            return (double)intersection / (crowd ? p.Mask!.Area() : union);
        }
        var a = p.Box;
        var b = g.Box;
        double w = Math.Min(a.X + a.Width, b.X + b.Width) - Math.Max(a.X, b.X);
        double h = Math.Min(a.Y + a.Height, b.Y + b.Height) - Math.Max(a.Y, b.Y);
        if (w <= 0 || h <= 0)
            return 0;
        double inter = w * h;
        return inter / (crowd ? a.Area : a.Area + b.Area - inter);
    }

    /// <summary>Segmentation metrics need a mask on every object, all of one image's masks of one size.</summary>
    private void CheckMasks()
    {
        for (int image = 0; image < GroundTruth.Count; image++)
        {
            (int H, int W)? size = null;
            var masks = GroundTruth[image].Select((g, i) => (g.Mask, What: $"ground-truth object {i}"))
                .Concat(Predictions[image].Select((p, i) => (p.Mask, What: $"prediction {i}")));
            foreach (var (mask, what) in masks)
            {
                if (mask is null)
                    throw new InvalidDataException($"Segmentation metrics need a mask on every object, but {what} of image {image} has none.");
                if (size is { } s && (s.H != mask.Height || s.W != mask.Width))
                    throw new InvalidDataException($"The masks of image {image} differ in size: {s.H}x{s.W} and {mask.Height}x{mask.Width} (height x width, {what}); they must all be the image's size.");
                size = (mask.Height, mask.Width);
            }
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
