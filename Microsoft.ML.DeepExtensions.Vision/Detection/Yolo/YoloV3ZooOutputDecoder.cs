using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;

/// <summary>
/// The ONNX model zoo YOLOv3's outputs: boxes <c>[B, N, 4]</c> as y1 x1 y2 x2 in original-image pixels (the graph
/// undoes the letterbox itself from its image_shape input), scores <c>[B, C, N]</c>, and the (batch, class, box)
/// triples its NonMaxSuppression node selected, <c>[K, 3]</c> or <c>[1, K, 3]</c>, int32 or int64. Each
/// selected triple is one detection; they are ordered by decreasing score.
/// </summary>
internal sealed class YoloV3ZooOutputDecoder : YoloOutputDecoder
{
    private readonly int _boxesOutput, _scoresOutput, _indicesOutput;

    /// <param name="confidenceThreshold">Selected detections scoring at or below this are dropped.</param>
    /// <param name="maxDetections">At most this many detections per image, the highest scores.</param>
    /// <param name="boxesOutput">Position of the boxes output among the session's outputs.</param>
    /// <param name="scoresOutput">Position of the scores output.</param>
    /// <param name="indicesOutput">Position of the selected-indices output.</param>
    public YoloV3ZooOutputDecoder(float confidenceThreshold, int maxDetections, int boxesOutput, int scoresOutput, int indicesOutput)
        : base(confidenceThreshold, iouThreshold: 1, classAgnostic: false, maxDetections)
    {
        _boxesOutput = boxesOutput;
        _scoresOutput = scoresOutput;
        _indicesOutput = indicesOutput;
    }

    public override void Decode(IReadOnlyList<OrtValue> outputs, int images, ImageResizeMapping[] mappings,
        YoloCandidates candidates, ObjectDetections[] results, int offset)
    {
        var boxShape = outputs[_boxesOutput].GetTensorTypeAndShape().Shape;
        var scoreShape = outputs[_scoresOutput].GetTensorTypeAndShape().Shape;
        var indexInfo = outputs[_indicesOutput].GetTensorTypeAndShape();
        if (boxShape.Length != 3 || boxShape[2] != 4 || scoreShape.Length != 3 || scoreShape[2] != boxShape[1] || indexInfo.Shape[^1] != 3)
            throw new InvalidDataException($"YOLOv3 outputs must be boxes [B,N,4], scores [B,C,N] and indices [K,3]; got [{string.Join(",", boxShape)}], [{string.Join(",", scoreShape)}], [{string.Join(",", indexInfo.Shape)}].");
        int boxCount = (int)boxShape[1], classCount = (int)scoreShape[1];
        var boxes = outputs[_boxesOutput].GetTensorDataAsSpan<float>();
        var scores = outputs[_scoresOutput].GetTensorDataAsSpan<float>();
        long[] triples = ReadIndices(outputs[_indicesOutput], indexInfo.ElementDataType);

        var perImage = new List<(float Score, int Class, int Box)>[images];
        for (int i = 0; i < images; i++)
            perImage[i] = new List<(float, int, int)>();
        for (int t = 0; t + 2 < triples.Length; t += 3)
        {
            long batch = triples[t], cls = triples[t + 1], box = triples[t + 2];
            if (batch < 0 || batch >= images)
                continue; // a padding slot of a fixed-size batch
            if (cls < 0 || cls >= classCount || box < 0 || box >= boxCount)
                throw new InvalidDataException($"The YOLOv3 NMS output selected (batch {batch}, class {cls}, box {box}), outside {classCount} classes and {boxCount} boxes.");
            float score = scores[(int)((batch * classCount + cls) * boxCount + box)];
            if (score > ConfidenceThreshold)
                perImage[batch].Add((score, (int)cls, (int)box));
        }
        for (int image = 0; image < images; image++)
        {
            var selected = perImage[image];
            // Stable: equal scores keep the NMS node's order.
            var ordered = selected.Select((s, i) => (s, i)).OrderByDescending(p => p.s.Score).ThenBy(p => p.i).Take(MaxDetections).Select(p => p.s).ToArray();
            var outBoxes = new float[4 * ordered.Length];
            var mapping = mappings[image];
            for (int i = 0; i < ordered.Length; i++)
            {
                var b = boxes.Slice((image * boxCount + ordered[i].Box) * 4, 4);
                // y1 x1 y2 x2 -> x0 y0 x1 y1, clipped to the image.
                outBoxes[4 * i] = Math.Clamp(b[1], 0, mapping.SourceWidth);
                outBoxes[4 * i + 1] = Math.Clamp(b[0], 0, mapping.SourceHeight);
                outBoxes[4 * i + 2] = Math.Clamp(b[3], 0, mapping.SourceWidth);
                outBoxes[4 * i + 3] = Math.Clamp(b[2], 0, mapping.SourceHeight);
            }
            results[offset + image] = new ObjectDetections(outBoxes, ordered.Select(o => o.Class).ToArray(), ordered.Select(o => o.Score).ToArray());
        }
    }

    private static long[] ReadIndices(OrtValue value, TensorElementType type) => type switch
    {
        TensorElementType.Int32 => value.GetTensorDataAsSpan<int>().ToArray().Select(i => (long)i).ToArray(),
        TensorElementType.Int64 => value.GetTensorDataAsSpan<long>().ToArray(),
        _ => throw new InvalidDataException($"The YOLOv3 NMS indices must be int32 or int64, got {type}."),
    };
}
