namespace Microsoft.ML.DeepExtensions.Vision.Segmentation;

/// <summary>Accumulates the confusion matrix of label maps against predicted class maps, image by image.</summary>
public sealed class SemanticSegmentationEvaluator
{
    private readonly long[,] _confusion;
    private readonly string[] _classNames;

    /// <param name="classNames">The classes, in class-index order.</param>
    /// <param name="ignoreLabel">Label pixels of this value are not counted. Defaults to 255 (PASCAL VOC's border and
    /// "difficult" pixels); null counts every pixel.</param>
    public SemanticSegmentationEvaluator(IReadOnlyList<string> classNames, int? ignoreLabel = 255)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        if (classNames.Count == 0)
            throw new ArgumentException("Semantic segmentation metrics need at least one class, got none.", nameof(classNames));
        _classNames = classNames.ToArray();
        _confusion = new long[_classNames.Length, _classNames.Length];
        IgnoreLabel = ignoreLabel;
    }

    /// <summary>The label not counted, or null.</summary>
    public int? IgnoreLabel { get; }

    /// <summary>Adds one image: <paramref name="labels"/> and <paramref name="predicted"/> hold a 0-based class per pixel, in the same order.</summary>
    /// <param name="labels">True classes (or the ignore label).</param>
    /// <param name="predicted">Predicted classes.</param>
    /// <param name="what">The image, for messages (e.g. a file name or "row 3").</param>
    /// <exception cref="InvalidDataException">The two differ in length, or hold a class outside the classes.</exception>
    public void Add(ReadOnlySpan<int> labels, ReadOnlySpan<int> predicted, string what = "the image")
    {
        if (labels.Length != predicted.Length)
            throw new InvalidDataException($"{what}: the label map has {labels.Length} pixels but the class map {predicted.Length}; they must be of one size.");
        int k = _classNames.Length;
        for (int i = 0; i < labels.Length; i++)
        {
            int t = labels[i];
            if (t == IgnoreLabel)
                continue;
            int p = predicted[i];
            if ((uint)t >= (uint)k)
                throw new InvalidDataException($"{what}: pixel {i} is labelled {t}, outside the {k} classes 0..{k - 1}{(IgnoreLabel is { } ignore ? $" and not the ignore label {ignore}" : "")}.");
            if ((uint)p >= (uint)k)
                throw new InvalidDataException($"{what}: pixel {i} is predicted as class {p}, outside the {k} classes 0..{k - 1}.");
            _confusion[t, p]++;
        }
    }

    /// <summary>The metrics of everything added so far.</summary>
    public SemanticSegmentationMetrics Metrics() => new(_classNames, (long[,])_confusion.Clone());
}
