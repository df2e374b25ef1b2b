using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using global::Onnx;
using Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Export;

/// <summary>
/// The ONNX graph of a YOLO network built from a Darknet cfg: the network's layers (<see cref="DarknetLayerOnnxWriter"/>)
/// and the YOLOv3 decode of its <c>[yolo]</c> heads in YOLOv5's candidate layout (<see cref="YoloDecodeOnnxWriter"/>),
/// with the metadata the ONNX detector reads (<c>names</c>, <c>imgsz</c>, <c>multi_label</c>).
/// </summary>
internal static class YoloOnnxGraph
{
    /// <summary>The graph's input: <c>[N, 3, S, S]</c> RGB in [0, 1], letterboxed (Ultralytics' name).</summary>
    public const string InputName = "images";

    /// <summary>The graph's output: <c>[N, P, 5 + C]</c> candidates (Ultralytics' name).</summary>
    public const string OutputName = "output0";

    /// <summary>Metadata entry saying that every class scoring above the threshold is a detection of its own (Ultralytics' <c>multi_label</c>).</summary>
    public const string MultiLabelKey = "multi_label";

    /// <param name="network">The network, in evaluation mode (its batch normalizations use their running statistics).</param>
    /// <param name="classNames">One name per class of the heads.</param>
    /// <param name="description">The model's doc string.</param>
    /// <exception cref="OnnxFormatException">A layer has no ONNX mapping (the message names it), the network has no <c>[yolo]</c> layer, or its input is not square.</exception>
    public static ModelProto Build(DarknetNetwork network, IReadOnlyList<string> classNames, string description)
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

        var builder = new OnnxGraphBuilder();
        string images = builder.Input(InputName, new long[] { -1, input.Channels, input.Height, input.Width });
        var raw = new DarknetLayerOnnxWriter(builder, network).Write(images);
        string output = new YoloDecodeOnnxWriter(builder).Write(heads, raw, input.Width);
        long candidates = heads.Sum(h => (long)h.AnchorCount * h.GridHeight * h.GridWidth);
        builder.Output(builder.Node("Identity", OutputName, new[] { output }), new long[] { -1, candidates, heads[0].Classes + 5 });

        var model = builder.Build(description);
        int stride = heads.Max(h => (int)MathF.Round(h.StrideX));
        Add(model, "names", JsonSerializer.Serialize(classNames, new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        Add(model, "imgsz", string.Create(CultureInfo.InvariantCulture, $"[{input.Height}, {input.Width}]"));
        Add(model, "stride", stride.ToString(CultureInfo.InvariantCulture));
        Add(model, "task", "detect");
        Add(model, MultiLabelKey, "True");
        return model;
    }

    private static void Add(ModelProto model, string key, string value) =>
        model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
}
