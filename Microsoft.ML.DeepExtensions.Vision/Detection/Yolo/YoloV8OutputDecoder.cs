using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;

/// <summary>
/// Ultralytics YOLOv8-and-later output <c>[B, 4 + C, N]</c>: rows cx, cy, w, h (input pixels) and one
/// probability per class; a candidate's score is its best class probability (no objectness).
/// </summary>
internal sealed class YoloV8OutputDecoder : YoloOutputDecoder
{
    private float[] _best = Array.Empty<float>();
    private int[] _bestClass = Array.Empty<int>();

    public YoloV8OutputDecoder(float confidenceThreshold, float iouThreshold, bool classAgnostic, int maxDetections)
        : base(confidenceThreshold, iouThreshold, classAgnostic, maxDetections)
    {
    }

    public override void Decode(IReadOnlyList<OrtValue> outputs, int images, ImageResizeMapping[] mappings,
        YoloCandidates candidates, ObjectDetections[] results, int offset)
    {
        var output = outputs[0];
        var shape = output.GetTensorTypeAndShape().Shape;
        if (shape.Length != 3 || shape[1] <= 4)
            throw new InvalidDataException($"A YOLOv8 output must be [batch, 4 + classes, candidates], got [{string.Join(",", shape)}].");
        int rows = (int)shape[1], count = (int)shape[2], classes = rows - 4;
        if (rows >= count)
            throw new InvalidDataException($"The model's output is [{string.Join(",", shape)}]: more rows than candidates, so it looks like a YOLOv5 export ([batch, candidates, 5 + classes]), not YOLOv8's [batch, 4 + classes, candidates]. Ask for YOLOv5.");
        var all = output.GetTensorDataAsSpan<float>();
        if (_best.Length < count)
        {
            _best = new float[count];
            _bestClass = new int[count];
        }
        var best = _best.AsSpan(0, count);
        var bestClass = _bestClass.AsSpan(0, count);
        for (int image = 0; image < images; image++)
        {
            var data = all.Slice(image * rows * count, rows * count);
            // Row-wise running maximum over the class rows: contiguous reads instead of a stride-N walk per candidate.
            data.Slice(4 * count, count).CopyTo(best);
            bestClass.Clear();
            for (int c = 1; c < classes; c++)
            {
                var row = data.Slice((4 + c) * count, count);
                for (int n = 0; n < count; n++)
                {
                    if (row[n] > best[n])
                    {
                        best[n] = row[n];
                        bestClass[n] = c;
                    }
                }
            }
            candidates.Clear();
            for (int n = 0; n < count; n++)
            {
                if (best[n] > ConfidenceThreshold)
                    candidates.AddCenterSize(data[n], data[count + n], data[2 * count + n], data[3 * count + n], best[n], bestClass[n]);
            }
            results[offset + image] = candidates.Finish(mappings[image], IouThreshold, ClassAgnostic, MaxDetections);
        }
    }
}
