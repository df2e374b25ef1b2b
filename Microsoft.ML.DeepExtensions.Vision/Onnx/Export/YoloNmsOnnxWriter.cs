using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo.Training;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Export;

/// <summary>
/// Writes the trained YOLO detector's selection as ONNX nodes: class-aware NMS (ONNX <c>NonMaxSuppression</c>) over
/// every (candidate, class) pair scoring above the confidence threshold, then the best <c>MaxDetections</c> of each
/// image, in the end-to-end layout <c>[N, MaxDetections, 6]</c> (x0, y0, x1, y1 in input pixels, score, class index;
/// best first, unused rows all zero) that <c>YoloEndToEndOutputDecoder</c> reads.
/// </summary>
/// <remarks>
/// <para>Scores are Darknet's, objectness × σ(t_c); NMS suppresses a box whose IoU with a better box of its class is
/// above the threshold, as the trained detector's <c>NonMaxSuppression.ApplyPerClass</c> does. One difference: the
/// trained detector sends at most the best 30,000 pairs to NMS (Ultralytics' max_nms); the graph sends all.</para>
/// <para>NonMaxSuppression returns the selected (image, class, box) triples of the whole batch; the rows of each image
/// are picked with a TopK over the batch's selected scores, masked to -1 outside the image and padded with
/// <c>MaxDetections</c> columns of -1, so an image with fewer detections gets zero rows.</para>
/// </remarks>
internal sealed class YoloNmsOnnxWriter
{
    private readonly OnnxGraphBuilder _builder;
    private readonly YoloDecodeOnnxWriter _decoder;

    public YoloNmsOnnxWriter(OnnxGraphBuilder builder, YoloDecodeOnnxWriter decoder)
    {
        _builder = builder;
        _decoder = decoder;
    }

    /// <summary>Returns the <c>[N, MaxDetections, 6]</c> detections of the decoded candidates, boxes clipped to the <paramref name="inputSide"/> square.</summary>
    public string Write(YoloDecodeOnnxWriter.Decoded decoded, int classes, YoloThresholds thresholds, int inputSide)
    {
        long m = thresholds.MaxDetections;
        string boxes = _builder.Node("Concat", "nms.boxes", new[] { decoded.TopLeft, decoded.BottomRight }, ("axis", 2L));
        string objectness = Slice(decoded.Sigmoids, "nms.objectness", 0, 1, axis: 2);
        string probabilities = _builder.Node("Mul", "nms.probabilities", new[] { Slice(decoded.Sigmoids, "nms.class_sigmoids", 1, 1 + classes, axis: 2), objectness });
        string scores = _builder.Node("Transpose", "nms.scores", new[] { probabilities }, ("perm", new long[] { 0, 2, 1 })); // [N, C, P]
        string selected = _builder.Node("NonMaxSuppression", "nms", new[]
        {
            boxes, scores, _builder.Ints("nms.max_per_class", m), _builder.Floats("nms.iou", thresholds.Iou), _builder.Floats("nms.confidence", thresholds.Confidence),
        }); // [K, 3]: image, class, box

        // The K selected rows: box, score, class.
        string image = Column(selected, "nms.image", 0);
        string selectedScores = _builder.Node("GatherND", "nms.selected_scores", new[] { scores, selected });
        string imageAndBox = _builder.Node("Gather", "nms.image_box", new[] { selected, _builder.Ints("nms.image_box.columns", 0, 2) }, ("axis", 1L));
        // NMS compared the boxes as decoded; only the kept ones are clipped (Darknet's order, and the trained detector's).
        string selectedBoxes = _decoder.Clip(_builder.Node("GatherND", "nms.selected_boxes.raw", new[] { boxes, imageAndBox }), "nms.selected_boxes", inputSide);
        string classIndex = _builder.Node("Cast", "nms.class", new[] { Column(selected, "nms.class_index", 1) }, ("to", 1L)); // to float
        string rows = _builder.Node("Concat", "nms.rows", new[] { selectedBoxes, Unsqueeze(selectedScores, "nms.score_column", 1), Unsqueeze(classIndex, "nms.class_column", 1) }, ("axis", 1L));
        string paddedRows = _builder.Node("Concat", "nms.padded_rows", new[] { rows, Zeros("nms.zero_rows", m, 6) }, ("axis", 0L)); // [K + M, 6]

        // Per image: the selected scores of its own rows (-1 elsewhere), M more columns of -1, the best M.
        string batch = _builder.Node("Slice", "nms.batch", new[] { _builder.Node("Shape", "nms.shape", new[] { scores }), _builder.Ints("nms.batch.starts", 0), _builder.Ints("nms.batch.ends", 1) });
        string images = _builder.Node("Range", "nms.images", new[]
        {
            _builder.Int("nms.images.start", 0), _builder.Node("Squeeze", "nms.batch_size", new[] { batch, _builder.Ints("nms.batch_size.axes", 0) }), _builder.Int("nms.images.step", 1),
        });
        string own = _builder.Node("Equal", "nms.own", new[] { Unsqueeze(images, "nms.image_rows", 1), Unsqueeze(image, "nms.image_columns", 0) }); // [N, K]
        string minusOne = _builder.Scalar("nms.minus_one", -1f);
        string ownScores = _builder.Node("Where", "nms.own_scores", new[] { own, Unsqueeze(selectedScores, "nms.score_row", 0), minusOne });
        string padding = _builder.Node("Expand", "nms.padding", new[] { minusOne, _builder.Node("Concat", "nms.padding.shape", new[] { batch, _builder.Ints("nms.padding.columns", m) }, ("axis", 0L)) });
        string candidates = _builder.Node("Concat", "nms.candidates", new[] { ownScores, padding }, ("axis", 1L)); // [N, K + M]
        var best = _builder.Node("TopK", "nms.best", new[] { candidates, _builder.Ints("nms.best.k", m) }, 2, ("axis", 1L), ("largest", 1L), ("sorted", 1L));
        string picked = _builder.Node("Gather", "nms.picked", new[] { paddedRows, best[1] }, ("axis", 0L)); // [N, M, 6]
        string real = Unsqueeze(_builder.Node("Greater", "nms.real", new[] { best[0], _builder.Scalar("nms.real.bound", -0.5f) }), "nms.real_rows", 2);
        return _builder.Node("Where", "nms.detections", new[] { real, picked, _builder.Scalar("nms.zero", 0f) });
    }

    private string Slice(string input, string name, long start, long end, long axis) =>
        _builder.Node("Slice", name, new[] { input, _builder.Ints($"{name}.starts", start), _builder.Ints($"{name}.ends", end), _builder.Ints($"{name}.axes", axis) });

    /// <summary>Column <paramref name="index"/> of a <c>[K, 3]</c> matrix, as <c>[K]</c>.</summary>
    private string Column(string input, string name, long index) =>
        _builder.Node("Squeeze", name, new[] { Slice(input, $"{name}.slice", index, index + 1, axis: 1), _builder.Ints($"{name}.axes", 1) });

    private string Unsqueeze(string input, string name, long axis) =>
        _builder.Node("Unsqueeze", name, new[] { input, _builder.Ints($"{name}.axes", axis) });

    private string Zeros(string name, long rows, long columns)
    {
        using var zeros = TorchSharp.torch.zeros(rows, columns);
        return _builder.Initializer(name, zeros);
    }
}
