using System.Numerics;
using System.Runtime.InteropServices;
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
            _best = new float[count];
        var best = _best.AsSpan(0, count);
        for (int image = 0; image < images; image++)
        {
            var data = all.Slice(image * rows * count, rows * count);
            // Best class score per candidate: an element-wise (SIMD) maximum over the class rows, contiguous
            // reads; the arg-max is looked up only for the few candidates above the threshold.
            data.Slice(4 * count, count).CopyTo(best);
            for (int c = 1; c < classes; c++)
                Maximum(best, data.Slice((4 + c) * count, count));
            candidates.Clear();
            for (int n = 0; n < count; n++)
            {
                if (!(best[n] > ConfidenceThreshold))
                    continue;
                int bestClass = 0;
                for (int c = 0; c < classes; c++)
                {
                    if (data[(4 + c) * count + n] == best[n])
                    {
                        bestClass = c; // the first class reaching the maximum, as a scalar arg-max would pick
                        break;
                    }
                }
                candidates.AddCenterSize(data[n], data[count + n], data[2 * count + n], data[3 * count + n], best[n], bestClass);
            }
            results[offset + image] = candidates.Finish(mappings[image], IouThreshold, ClassAgnostic, MaxDetections);
        }
    }

    /// <summary><paramref name="best"/>[i] = max(best[i], row[i]).</summary>
    private static void Maximum(Span<float> best, ReadOnlySpan<float> row)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var bestVectors = MemoryMarshal.Cast<float, Vector<float>>(best);
            var rowVectors = MemoryMarshal.Cast<float, Vector<float>>(row);
            for (int v = 0; v < bestVectors.Length; v++)
                bestVectors[v] = Vector.Max(bestVectors[v], rowVectors[v]);
            i = bestVectors.Length * Vector<float>.Count;
        }
        for (; i < best.Length; i++)
        {
            if (row[i] > best[i])
                best[i] = row[i];
        }
    }
}
