namespace Microsoft.ML.DeepExtensions.Vision.Detection;

/// <summary>
/// The objects found in one image: for each, a box (x0, y0, x1, y1 in the original image's pixels,
/// x to the right, y down, x1 ≥ x0, y1 ≥ y0), a 0-based class index and a score; optionally a mask.
/// Detections are in the order the detector returns them (usually by descending score).
/// </summary>
public sealed class ObjectDetections
{
    private readonly float[] _boxes;
    private readonly int[] _classIndices;
    private readonly float[] _scores;

    /// <summary>An image without detections.</summary>
    public static ObjectDetections Empty { get; } = new(Array.Empty<float>(), Array.Empty<int>(), Array.Empty<float>());

    /// <param name="boxes">Boxes as <c>[n, 4]</c> row-major xyxy floats (4 per detection), in original-image pixels. Not copied.</param>
    /// <param name="classIndices">The 0-based class of each detection (<c>n</c> values). Not copied.</param>
    /// <param name="scores">The confidence of each detection (<c>n</c> values). Not copied.</param>
    /// <param name="masks">One mask per detection, or null when the detector predicts none.</param>
    public ObjectDetections(float[] boxes, int[] classIndices, float[] scores, IReadOnlyList<InstanceMask>? masks = null)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(classIndices);
        ArgumentNullException.ThrowIfNull(scores);
        int count = scores.Length;
        if (boxes.Length != 4 * count)
            throw new ArgumentException($"Boxes must hold 4 values (x0, y0, x1, y1) per detection: {count} scores need {4 * count} box values, got {boxes.Length}.", nameof(boxes));
        if (classIndices.Length != count)
            throw new ArgumentException($"There must be one class index per detection: {count} scores, got {classIndices.Length} class indices.", nameof(classIndices));
        if (masks is not null && masks.Count != count)
            throw new ArgumentException($"There must be one mask per detection: {count} scores, got {masks.Count} masks.", nameof(masks));
        for (int i = 0; i < count; i++)
        {
            if (classIndices[i] < 0)
                throw new ArgumentOutOfRangeException(nameof(classIndices), $"Class indices are 0-based and cannot be negative, got {classIndices[i]} for detection {i}.");
        }
        _boxes = boxes;
        _classIndices = classIndices;
        _scores = scores;
        Masks = masks;
    }

    /// <summary>The number of detections.</summary>
    public int Count => _scores.Length;

    /// <summary>The boxes, <c>[Count, 4]</c> row-major xyxy in original-image pixels.</summary>
    public ReadOnlyMemory<float> Boxes => _boxes;

    /// <summary>The 0-based class index of each detection.</summary>
    public ReadOnlyMemory<int> ClassIndices => _classIndices;

    /// <summary>The score of each detection.</summary>
    public ReadOnlyMemory<float> Scores => _scores;

    /// <summary>One mask per detection, or null when the detector predicts none. A mask usually covers its box rounded out
    /// to whole pixels; YOLO segmentation masks may reach a few pixels past it (as Ultralytics' own masks do).</summary>
    public IReadOnlyList<InstanceMask>? Masks { get; }

    /// <summary>Detection <paramref name="index"/> (its mask, if any, is <c>Masks[index]</c>).</summary>
    public DetectedObject this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(index), $"Detection index must be in [0, {Count}), got {index}.");
            int b = 4 * index;
            return new DetectedObject(_boxes[b], _boxes[b + 1], _boxes[b + 2], _boxes[b + 3], _classIndices[index], _scores[index]);
        }
    }
}

/// <summary>One detected object: box x0, y0, x1, y1 in original-image pixels, 0-based class index, score.</summary>
public readonly record struct DetectedObject(float X0, float Y0, float X1, float Y1, int ClassIndex, float Score)
{
    /// <summary>Box width, <c>X1 - X0</c>.</summary>
    public float Width => X1 - X0;

    /// <summary>Box height, <c>Y1 - Y0</c>.</summary>
    public float Height => Y1 - Y0;
}
