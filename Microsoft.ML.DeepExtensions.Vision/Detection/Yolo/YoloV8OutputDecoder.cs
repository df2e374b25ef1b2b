using System.Numerics;
using System.Runtime.InteropServices;
using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;

/// <summary>
/// Ultralytics YOLOv8-and-later output <c>[B, 4 + C, N]</c>: rows cx, cy, w, h (input pixels) and one
/// probability per class; a candidate's score is its best class probability (no objectness). A segmentation
/// export adds M mask-coefficient rows (<c>[B, 4 + C + M, N]</c>) and a prototypes output <c>[B, M, mh, mw]</c>; each
/// kept detection then gets its mask (<see cref="YoloPrototypeMasks"/>).
/// </summary>
internal sealed class YoloV8OutputDecoder : YoloOutputDecoder
{
    private readonly bool _segmentation;
    private readonly YoloPrototypeMasks _masks = new();
    private readonly float[] _box = new float[4];
    private float[] _best = Array.Empty<float>();

    /// <summary>The decoder; <c>segmentation</c> says whether the model is a segmentation export (two outputs, masks made).</summary>
    public YoloV8OutputDecoder(float confidenceThreshold, float iouThreshold, bool classAgnostic, int maxDetections, bool segmentation = false)
        : base(confidenceThreshold, iouThreshold, classAgnostic, maxDetections)
    {
        _segmentation = segmentation;
    }

    public override void Decode(IReadOnlyList<OrtValue> outputs, int images, ImageResizeMapping[] mappings,
        YoloCandidates candidates, ObjectDetections[] results, int offset)
    {
        int predictionsIndex = 0, prototypesIndex = -1;
        if (_segmentation)
        {
            prototypesIndex = outputs[0].GetTensorTypeAndShape().Shape.Length == 4 ? 0 : 1;
            predictionsIndex = 1 - prototypesIndex;
        }
        var output = outputs[predictionsIndex];
        var shape = output.GetTensorTypeAndShape().Shape;
        if (shape.Length != 3 || shape[1] <= 4)
            throw new InvalidDataException($"A YOLOv8 output must be [batch, 4 + classes{(_segmentation ? " + mask coefficients" : "")}, candidates], got [{string.Join(",", shape)}].");
        int rows = (int)shape[1], count = (int)shape[2];
        if (rows >= count)
            throw new InvalidDataException($"The model's output is [{string.Join(",", shape)}]: more rows than candidates, so it looks like a YOLOv5 export ([batch, candidates, 5 + classes]), not YOLOv8's [batch, 4 + classes, candidates]. Ask for YOLOv5.");
        long[] protoShape = Array.Empty<long>();
        int channels = 0;
        if (_segmentation)
        {
            protoShape = outputs[prototypesIndex].GetTensorTypeAndShape().Shape;
            channels = protoShape.Length == 4 ? (int)protoShape[1] : 0;
            if (protoShape.Length != 4 || protoShape[0] != shape[0] || channels <= 0 || rows - 4 - channels < 1)
                throw new InvalidDataException($"A YOLOv8 segmentation export needs predictions [batch, 4 + classes + M, candidates] and prototypes [batch, M, h, w]; got [{string.Join(",", shape)}] and [{string.Join(",", protoShape)}].");
        }
        int classes = rows - 4 - channels;
        var all = output.GetTensorDataAsSpan<float>();
        var allPrototypes = _segmentation ? outputs[prototypesIndex].GetTensorDataAsSpan<float>() : default;
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
                candidates.AddCenterSize(data[n], data[count + n], data[2 * count + n], data[3 * count + n], best[n], bestClass, n);
            }
            if (!_segmentation)
            {
                results[offset + image] = candidates.Finish(mappings[image], IouThreshold, ClassAgnostic, MaxDetections);
                continue;
            }
            int gridHeight = (int)protoShape[2], gridWidth = (int)protoShape[3], plane = channels * gridHeight * gridWidth;
            var prototypes = allPrototypes.Slice(image * plane, plane);
            var kept = candidates.Keep(IouThreshold, ClassAgnostic, MaxDetections);
            var masks = new InstanceMask[kept.Length];
            var box = _box.AsSpan();
            for (int i = 0; i < kept.Length; i++)
            {
                int n = candidates.Source(kept[i]);
                var coefficients = _masks.Coefficients(channels);
                for (int m = 0; m < channels; m++)
                    coefficients[m] = data[(4 + classes + m) * count + n];
                var inputBox = candidates.Box(kept[i]);
                (box[0], box[1], box[2], box[3]) = inputBox;
                mappings[image].BoxesToSource(box);
                masks[i] = _masks.Make(prototypes, channels, gridHeight, gridWidth, inputBox, box, mappings[image]);
            }
            results[offset + image] = candidates.Select(kept, mappings[image], masks);
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
