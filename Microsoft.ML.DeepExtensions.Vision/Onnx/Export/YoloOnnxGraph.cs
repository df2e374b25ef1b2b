using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using global::Onnx;
using Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;
using Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo.Training;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Export;

/// <summary>
/// The ONNX graph of a YOLO network built from a Darknet cfg: the network's layers (<see cref="DarknetLayerOnnxWriter"/>),
/// the YOLOv3 decode of its <c>[yolo]</c> heads (<see cref="YoloDecodeOnnxWriter"/>) and, as asked, YOLOv5's candidate
/// layout or NMS with the end-to-end layout (<see cref="YoloNmsOnnxWriter"/>), with the metadata the ONNX detector reads
/// (<c>names</c>, <c>imgsz</c>, <c>multi_label</c>).
/// </summary>
internal static class YoloOnnxGraph
{
    /// <summary>The graph's input: <c>[N, 3, S, S]</c> RGB in [0, 1], letterboxed (Ultralytics' name).</summary>
    public const string InputName = "images";

    /// <summary>The graph's output: <c>[N, P, 5 + C]</c> candidates or <c>[N, MaxDetections, 6]</c> detections (Ultralytics' name).</summary>
    public const string OutputName = "output0";

    /// <summary>Metadata entry saying that every class scoring above the threshold is a detection of its own (Ultralytics' <c>multi_label</c>).</summary>
    public const string MultiLabelKey = "multi_label";

    /// <param name="network">The network, in evaluation mode (its batch normalizations use their running statistics).</param>
    /// <param name="classNames">One name per class of the heads.</param>
    /// <param name="description">The model's doc string.</param>
    /// <param name="nms">Null for YOLOv5's candidates <c>[N, P, 5 + C]</c>; else the thresholds of the NMS in the graph, whose
    /// output is the end-to-end <c>[N, MaxDetections, 6]</c>.</param>
    /// <exception cref="OnnxFormatException">A layer has no ONNX mapping (the message names it), the network has no <c>[yolo]</c> layer, or its input is not square.</exception>
    public static ModelProto Build(DarknetNetwork network, IReadOnlyList<string> classNames, string description, YoloThresholds? nms = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(classNames);
        var heads = network.YoloLayers;
        if (heads.Count == 0)
            throw new OnnxFormatException($"The Darknet network {network.Config.Source} has no [yolo] layer: it is not a YOLO detector.");
        var input = network.InputShape;
        if (input.Width != input.Height)
            throw new OnnxFormatException($"The Darknet network {network.Config.Source} has a {input.Width}x{input.Height} input; YOLO detectors export with a square input (they letterbox to it).");
        if (heads[0].Classes != classNames.Count)
            throw new ArgumentException($"The network predicts {heads[0].Classes} classes, but {classNames.Count} class names were given.", nameof(classNames));
        if (nms is { MaxDetections: > OnnxModelLayout.MaxEndToEndDetections } limits)
            throw new ArgumentOutOfRangeException(nameof(nms), limits.MaxDetections, $"MaxDetections is {limits.MaxDetections}; an end-to-end output holds at most {OnnxModelLayout.MaxEndToEndDetections} rows per image (readers take more rows for YOLOv5 candidates).");

        var builder = new OnnxGraphBuilder();
        string images = builder.Input(InputName, new long[] { -1, input.Channels, input.Height, input.Width });
        var raw = new DarknetLayerOnnxWriter(builder, network).Write(images);
        var decoder = new YoloDecodeOnnxWriter(builder);
        var decoded = decoder.Decode(heads, raw);
        if (nms is { } thresholds)
        {
            string detections = new YoloNmsOnnxWriter(builder, decoder).Write(decoded, heads[0].Classes, thresholds, input.Width);
            builder.Output(builder.Node("Identity", OutputName, new[] { detections }), new long[] { -1, thresholds.MaxDetections, 6 });
        }
        else
        {
            long candidates = heads.Sum(h => (long)h.AnchorCount * h.GridHeight * h.GridWidth);
            builder.Output(builder.Node("Identity", OutputName, new[] { decoder.Candidates(decoded) }), new long[] { -1, candidates, heads[0].Classes + 5 });
        }

        var model = builder.Build(description);
        int stride = heads.Max(h => (int)MathF.Round(h.StrideX));
        Add(model, "names", JsonSerializer.Serialize(classNames, new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        Add(model, "imgsz", string.Create(CultureInfo.InvariantCulture, $"[{input.Height}, {input.Width}]"));
        Add(model, "stride", stride.ToString(CultureInfo.InvariantCulture));
        Add(model, "task", "detect");
        if (nms is null)
            Add(model, MultiLabelKey, "True");
        return model;
    }

    private static void Add(ModelProto model, string key, string value) =>
        model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
}
