using System.Globalization;
using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;

/// <summary>
/// End-to-end YOLO output <c>[B, N, 6]</c> (YOLOv10 and later exported without NMS): per row x0, y0, x1, y1 (input
/// pixels), score, class index. As Ultralytics reads it: rows scoring above the threshold are the detections, no NMS;
/// here also sorted by decreasing score (the exporters already write them so) and cut at <c>MaxDetections</c>.
/// </summary>
internal sealed class YoloEndToEndOutputDecoder : YoloOutputDecoder
{
    private readonly int _classCount;
    private readonly List<int> _order = new();

    /// <summary>The decoder; <c>classCount</c> is the number of class names: the output cannot say how many classes the
    /// model has, so a class index at or beyond it is an error naming both.</summary>
    public YoloEndToEndOutputDecoder(float confidenceThreshold, int maxDetections, int classCount)
        : base(confidenceThreshold, iouThreshold: 1, classAgnostic: true, maxDetections)
    {
        _classCount = classCount;
    }

    public override void Decode(IReadOnlyList<OrtValue> outputs, int images, ImageResizeMapping[] mappings,
        YoloCandidates candidates, ObjectDetections[] results, int offset)
    {
        var output = outputs[0];
        var shape = output.GetTensorTypeAndShape().Shape;
        string text = string.Join(",", shape);
        if (shape.Length != 3 || shape[2] != 6 || shape[1] > OnnxModelLayout.MaxEndToEndDetections)
        {
            string looks = shape.Length != 3 ? "" : shape[1] < shape[2]
                ? " It looks like a YOLOv8-or-later export ([batch, 4 + classes, candidates]): ask for YoloVersion.V8."
                : " It looks like a YOLOv5 export ([batch, candidates, 5 + classes]): ask for YoloVersion.V5.";
            throw new InvalidDataException($"An end-to-end YOLO output must be [batch, detections (at most {OnnxModelLayout.MaxEndToEndDetections}), 6], got [{text}].{looks}");
        }
        int count = (int)shape[1];
        var all = output.GetTensorDataAsSpan<float>();
        for (int image = 0; image < images; image++)
        {
            var data = all.Slice(image * count * 6, count * 6);
            candidates.Clear();
            for (int n = 0; n < count; n++)
            {
                var row = data.Slice(6 * n, 6);
                if (!(row[4] > ConfidenceThreshold))
                    continue;
                float label = row[5];
                if (!(label >= 0 && label < _classCount && label == MathF.Floor(label)))
                {
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                        $"The end-to-end YOLO output holds class {label} (image {offset + image}, row {n}), but there are {_classCount} class names: the names (ClassNames, ClassNamesFile or the model's 'names' metadata) must list every class the model predicts, in order."));
                }
                candidates.AddCorners(row[0], row[1], row[2], row[3], row[4], (int)label, n);
            }
            _order.Clear();
            for (int k = 0; k < candidates.Count; k++)
                _order.Add(k);
            // A stable sort keeps the model's order among equal scores.
            var sorted = _order.OrderByDescending(k => candidates.Score(k)).Take(MaxDetections).ToArray();
            results[offset + image] = candidates.Select(sorted, mappings[image]);
        }
    }
}
