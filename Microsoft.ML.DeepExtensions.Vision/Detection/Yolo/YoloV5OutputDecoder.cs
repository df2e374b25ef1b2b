using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;

/// <summary>
/// Ultralytics YOLOv5 output <c>[B, N, 5 + C]</c>: per candidate cx, cy, w, h (input pixels), objectness and
/// one probability per class. As YOLOv5's NMS does: candidates need objectness above the threshold, and
/// their score is objectness × the best class probability, again above the threshold; with multi-label
/// (YOLOv5's <c>multi_label=True</c>) every class whose objectness × probability is above it is a candidate.
/// </summary>
internal sealed class YoloV5OutputDecoder : YoloOutputDecoder
{
    private readonly bool _multiLabel;

    public YoloV5OutputDecoder(float confidenceThreshold, float iouThreshold, bool classAgnostic, int maxDetections, bool multiLabel = false)
        : base(confidenceThreshold, iouThreshold, classAgnostic, maxDetections)
    {
        _multiLabel = multiLabel;
    }

    public override void Decode(IReadOnlyList<OrtValue> outputs, int images, ImageResizeMapping[] mappings,
        YoloCandidates candidates, ObjectDetections[] results, int offset)
    {
        var output = outputs[0];
        var shape = output.GetTensorTypeAndShape().Shape;
        if (shape.Length != 3 || shape[2] <= 5)
            throw new InvalidDataException($"A YOLOv5 output must be [batch, candidates, 5 + classes], got [{string.Join(",", shape)}].");
        int count = (int)shape[1], width = (int)shape[2];
        if (width >= count)
            throw new InvalidDataException($"The model's output is [{string.Join(",", shape)}]: more values per candidate than candidates, so it looks like a YOLOv8 export ([batch, 4 + classes, candidates]), not YOLOv5's [batch, candidates, 5 + classes]. Ask for YOLOv8.");
        var all = output.GetTensorDataAsSpan<float>();
        for (int image = 0; image < images; image++)
        {
            var data = all.Slice(image * count * width, count * width);
            candidates.Clear();
            for (int n = 0; n < count; n++)
            {
                var row = data.Slice(n * width, width);
                float objectness = row[4];
                if (!(objectness > ConfidenceThreshold))
                    continue;
                if (_multiLabel)
                {
                    for (int c = 5; c < width; c++)
                    {
                        float classScore = row[c] * objectness;
                        if (classScore > ConfidenceThreshold)
                            candidates.AddCenterSize(row[0], row[1], row[2], row[3], classScore, c - 5);
                    }
                    continue;
                }
                int bestClass = 0;
                float best = row[5];
                for (int c = 6; c < width; c++)
                {
                    if (row[c] > best)
                    {
                        best = row[c];
                        bestClass = c - 5;
                    }
                }
                float score = best * objectness;
                if (score > ConfidenceThreshold)
                    candidates.AddCenterSize(row[0], row[1], row[2], row[3], score, bestClass);
            }
            results[offset + image] = candidates.Finish(mappings[image], IouThreshold, ClassAgnostic, MaxDetections);
        }
    }
}
