using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;

/// <summary>
/// The boxes of one image that passed the confidence threshold, in network-input pixels, and the way from
/// them to the final detections: NMS, the best <c>MaxDetections</c>, boxes mapped back to the original image.
/// Reused from image to image (cleared by <see cref="Clear"/>), so decoding allocates only the results.
/// </summary>
internal sealed class YoloCandidates
{
    /// <summary>Ultralytics' max_nms: at most this many candidates, the best, go into NMS.</summary>
    public const int MaxNmsCandidates = 30000;

    private readonly List<float> _boxes = new();
    private readonly List<float> _scores = new();
    private readonly List<int> _classes = new();
    private readonly List<int> _sources = new();

    public int Count => _scores.Count;

    public void Clear()
    {
        _boxes.Clear();
        _scores.Clear();
        _classes.Clear();
        _sources.Clear();
    }

    /// <summary>Adds a candidate given as center and size (YOLO's cx cy w h, network-input pixels); <c>source</c> is where it
    /// came from (its column or row in the output), for <see cref="Source"/>.</summary>
    public void AddCenterSize(float cx, float cy, float w, float h, float score, int classIndex, int source = -1) =>
        AddCorners(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, score, classIndex, source);

    /// <summary>Adds a candidate given as corners x0 y0 x1 y1 (network-input pixels).</summary>
    public void AddCorners(float x0, float y0, float x1, float y1, float score, int classIndex, int source = -1)
    {
        _boxes.Add(x0);
        _boxes.Add(y0);
        _boxes.Add(x1);
        _boxes.Add(y1);
        _scores.Add(score);
        _classes.Add(classIndex);
        _sources.Add(source);
    }

    /// <summary>NMS (per class unless <paramref name="classAgnostic"/>), the best <paramref name="maxDetections"/>,
    /// boxes mapped to the original image by <paramref name="mapping"/>.</summary>
    public ObjectDetections Finish(ImageResizeMapping mapping, float iouThreshold, bool classAgnostic, int maxDetections) =>
        Select(Keep(iouThreshold, classAgnostic, maxDetections), mapping);

    /// <summary>The candidates NMS keeps (per class unless <paramref name="classAgnostic"/>), at most
    /// <paramref name="maxDetections"/>, by decreasing score.</summary>
    public int[] Keep(float iouThreshold, bool classAgnostic, int maxDetections)
    {
        if (Count == 0)
            return Array.Empty<int>();
        int[] all = Enumerable.Range(0, Count).ToArray();
        if (Count > MaxNmsCandidates)
            all = all.OrderByDescending(i => _scores[i]).Take(MaxNmsCandidates).ToArray();
        float[] boxes = new float[4 * all.Length], scores = new float[all.Length];
        int[] classes = new int[all.Length];
        for (int i = 0; i < all.Length; i++)
        {
            for (int k = 0; k < 4; k++)
                boxes[4 * i + k] = _boxes[4 * all[i] + k];
            scores[i] = _scores[all[i]];
            classes[i] = _classes[all[i]];
        }
        int[] kept = classAgnostic
            ? NonMaxSuppression.Apply(boxes, scores, iouThreshold)
            : NonMaxSuppression.ApplyPerClass(boxes, scores, classes, iouThreshold);
        return kept.Take(maxDetections).Select(k => all[k]).ToArray();
    }

    /// <summary>Candidate <paramref name="index"/>'s score.</summary>
    public float Score(int index) => _scores[index];

    /// <summary>Candidate <paramref name="index"/>'s source (see <see cref="AddCorners"/>).</summary>
    public int Source(int index) => _sources[index];

    /// <summary>Candidate <paramref name="index"/>'s box in network-input pixels, x0 y0 x1 y1.</summary>
    public (float X0, float Y0, float X1, float Y1) Box(int index) =>
        (_boxes[4 * index], _boxes[4 * index + 1], _boxes[4 * index + 2], _boxes[4 * index + 3]);

    /// <summary>The candidates at <paramref name="indices"/>, in that order, as detections with boxes mapped to the
    /// original image; <paramref name="masks"/> (one per index, already in original pixels) go with them.</summary>
    public ObjectDetections Select(IReadOnlyList<int> indices, ImageResizeMapping mapping, IReadOnlyList<InstanceMask>? masks = null)
    {
        if (indices.Count == 0 && masks is null)
            return ObjectDetections.Empty;
        int count = indices.Count;
        var boxes = new float[4 * count];
        var scores = new float[count];
        var classes = new int[count];
        for (int i = 0; i < count; i++)
        {
            int k = indices[i];
            for (int j = 0; j < 4; j++)
                boxes[4 * i + j] = _boxes[4 * k + j];
            scores[i] = _scores[k];
            classes[i] = _classes[k];
        }
        mapping.BoxesToSource(boxes);
        return new ObjectDetections(boxes, classes, scores, masks);
    }
}
