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

    public int Count => _scores.Count;

    public void Clear()
    {
        _boxes.Clear();
        _scores.Clear();
        _classes.Clear();
    }

    /// <summary>Adds a candidate given as center and size (YOLO's cx cy w h).</summary>
    public void AddCenterSize(float cx, float cy, float w, float h, float score, int classIndex)
    {
        _boxes.Add(cx - w / 2);
        _boxes.Add(cy - h / 2);
        _boxes.Add(cx + w / 2);
        _boxes.Add(cy + h / 2);
        _scores.Add(score);
        _classes.Add(classIndex);
    }

    /// <summary>NMS (per class unless <paramref name="classAgnostic"/>), the best <paramref name="maxDetections"/>,
    /// boxes mapped to the original image by <paramref name="mapping"/>.</summary>
    public ObjectDetections Finish(ImageResizeMapping mapping, float iouThreshold, bool classAgnostic, int maxDetections)
    {
        if (Count == 0)
            return ObjectDetections.Empty;
        float[] boxes = _boxes.ToArray(), scores = _scores.ToArray();
        int[] classes = _classes.ToArray();
        if (Count > MaxNmsCandidates)
            (boxes, scores, classes) = Best(boxes, scores, classes, MaxNmsCandidates);
        int[] kept = classAgnostic
            ? NonMaxSuppression.Apply(boxes, scores, iouThreshold)
            : NonMaxSuppression.ApplyPerClass(boxes, scores, classes, iouThreshold);
        int count = Math.Min(kept.Length, maxDetections);
        var outBoxes = new float[4 * count];
        var outScores = new float[count];
        var outClasses = new int[count];
        for (int i = 0; i < count; i++)
        {
            int k = kept[i];
            boxes.AsSpan(4 * k, 4).CopyTo(outBoxes.AsSpan(4 * i, 4));
            outScores[i] = scores[k];
            outClasses[i] = classes[k];
        }
        mapping.BoxesToSource(outBoxes);
        return new ObjectDetections(outBoxes, outClasses, outScores);
    }

    private static (float[] Boxes, float[] Scores, int[] Classes) Best(float[] boxes, float[] scores, int[] classes, int count)
    {
        var order = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).Take(count).ToArray();
        var b = new float[4 * count];
        for (int i = 0; i < count; i++)
            boxes.AsSpan(4 * order[i], 4).CopyTo(b.AsSpan(4 * i, 4));
        return (b, order.Select(i => scores[i]).ToArray(), order.Select(i => classes[i]).ToArray());
    }
}
