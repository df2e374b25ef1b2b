using global::Onnx;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Networks;
using Microsoft.ML.DeepExtensions.Scoring;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;
using Microsoft.ML.DeepExtensions.Vision.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Export;

/// <summary>
/// Exports trained DeepExtensions networks (MLPs, every built-in CNN architecture, layer-described custom
/// ones, ONNX-backbone classifiers and YOLO detectors) to ONNX (opset 13), so ONNX Runtime, ML.NET's
/// <c>ApplyOnnxModel</c>, OpenCV's <c>dnn</c> module or any ONNX engine scores them.
/// </summary>
/// <remarks>
/// <para>
/// A network's graph has one input named after the model's feature column: <c>[N, C, H, W]</c> floats for images
/// (pixels in [0, 1], planar RGB, as the trainer reads them; any scaling, preprocessing or mean/std normalization
/// (<see cref="ImageNetwork.Normalization"/>) the network applies is inside the graph), <c>[N, features]</c> for an MLP. Its outputs are the transformer's: <c>Score</c>
/// (class probabilities for multiclass, the logit for binary, the prediction in the label's units for
/// regression) and, for binary classifiers, <c>Probability</c>. <c>N</c> is a free batch dimension.
/// </para>
/// <para>
/// A YOLO detector (<see cref="DarknetYoloDetector"/>) exports in Ultralytics YOLOv5's layout: input <c>images</c>
/// <c>[N, 3, S, S]</c> (the letterboxed image, RGB in [0, 1]), output <c>output0</c> <c>[N, P, 5 + C]</c>, per candidate
/// cx, cy, w, h in input pixels (as decoded, not clipped: readers clip after NMS), objectness and the C class sigmoids, with the class names in
/// the <c>names</c> metadata. <see cref="YoloObjectDetector"/> with <see cref="YoloVersion.V5"/> reads it back (the
/// <c>multi_label</c> metadata makes it keep every class above the threshold, as the trained detector does), so with
/// the trained detector's thresholds it finds the same detections. With <see cref="YoloVersion.EndToEnd"/> the graph
/// also holds the detector's NMS (see <see cref="Save(DarknetYoloDetector, string, YoloVersion)"/>).
/// </para>
/// </remarks>
public static class OnnxExport
{
    /// <summary>Exports the network of <paramref name="model"/> (a fitted pipeline or model.zip) to <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentException">The model holds no DeepExtensions network.</exception>
    /// <exception cref="OnnxFormatException">A layer has no ONNX form (the message names the layer), e.g. an opaque custom module.</exception>
    public static void Save(ITransformer model, string path)
    {
        if (FindYoloDetector(model) is { } yolo)
            Save(yolo, path);
        else
            Save(FindNetwork(model), path);
    }

    /// <summary>Exports a YOLO detector (fitted by <c>ObjectDetection().Trainers.Yolo</c> or opened from Darknet files) to <paramref name="path"/>.</summary>
    /// <param name="detector">The detector.</param>
    /// <param name="path">The ONNX file to write.</param>
    /// <param name="layout">
    /// The output, named as the <see cref="YoloObjectDetector"/> version that reads it: <see cref="YoloVersion.V5"/>, the
    /// decoded candidates <c>[N, P, 5 + C]</c> without NMS; or <see cref="YoloVersion.EndToEnd"/>, the detector's own
    /// selection in the graph (ONNX NonMaxSuppression with its confidence, IoU and <c>MaxDetections</c>, at most 1,000),
    /// output <c>[N, MaxDetections, 6]</c>: x0 y0 x1 y1 score class, best first, unused rows zero. ONNX Runtime runs both;
    /// OpenCV 4.6's dnn module has no NonMaxSuppression. Defaults to <see cref="YoloVersion.V5"/>.
    /// </param>
    /// <exception cref="OnnxFormatException">A layer of its cfg has no ONNX form (the message names the layer and its cfg line).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layout"/> is another version, or an end-to-end export would exceed 1,000 rows.</exception>
    public static void Save(DarknetYoloDetector detector, string path, YoloVersion layout = YoloVersion.V5)
    {
        ArgumentNullException.ThrowIfNull(detector);
        if (layout is not (YoloVersion.V5 or YoloVersion.EndToEnd))
            throw new ArgumentOutOfRangeException(nameof(layout), layout, $"A YOLO detector exports in the V5 (candidates) or EndToEnd (NMS in the graph) layout, got {layout}.");
        bool nms = layout == YoloVersion.EndToEnd;
        var description = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"DeepExtensions YOLO detector: {detector.Network}; {(nms ? "detections after NMS, end-to-end layout" : "decoded candidates in YOLOv5's layout, no NMS")}. The trained detector keeps scores above {detector.ConfidenceThreshold}, NMS IoU {detector.IouThreshold}, at most {detector.MaxDetections} detections.");
        var thresholds = new Detection.Yolo.Training.YoloThresholds(detector.ConfidenceThreshold, detector.IouThreshold, detector.MaxDetections);
        OnnxModelFile.Write(YoloOnnxGraph.Build(detector.Network, detector.ClassNames, description, nms ? thresholds : null), path);
    }

    /// <summary>The YOLO detector of a model: itself, or the last one of a transformer chain; null when there is none.</summary>
    internal static DarknetYoloDetector? FindYoloDetector(ITransformer model) => model switch
    {
        DarknetYoloDetector detector => detector,
        IEnumerable<ITransformer> chain => chain.OfType<DarknetYoloDetector>().LastOrDefault(),
        _ => null,
    };

    /// <inheritdoc cref="Save(ITransformer, string)"/>
    public static void Save(NetworkPredictionTransformer model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        OnnxModelFile.Write(Build(model.Network, model.Module, model.Task, model.FeatureColumnName), path);
    }

    /// <summary>The DeepExtensions network of a model: itself, or the last one of a transformer chain.</summary>
    internal static NetworkPredictionTransformer FindNetwork(ITransformer model) => model switch
    {
        NetworkPredictionTransformer network => network,
        IEnumerable<ITransformer> chain => chain.OfType<NetworkPredictionTransformer>().LastOrDefault()
            ?? throw new ArgumentException("The model holds no DeepExtensions network (MLP or CNN classifier) to export to ONNX.", nameof(model)),
        _ => throw new ArgumentException($"The model ({model.GetType().Name}) holds no DeepExtensions network to export to ONNX.", nameof(model)),
    };

    /// <summary>The ONNX model of <paramref name="module"/>, built from <paramref name="definition"/>, scoring for <paramref name="task"/>.</summary>
    internal static ModelProto Build(NetworkDefinition definition, nn.Module<Tensor, Tensor> module, PredictionTask task, string inputName)
    {
        var builder = new OnnxGraphBuilder();
        var inputShape = new long[] { -1 }.Concat(definition.InputShape).ToArray();
        string input = builder.Input(inputName, inputShape);
        bool rescaled = definition.OutputShift != 0 || definition.OutputScale != 1;
        var layers = rescaled ? (nn.Module<Tensor, Tensor>)module.named_children().Single(c => c.name == "layers").module : module;
        if (definition is ImageNetwork { Normalization: { } normalization } normalized)
        {
            // The module normalizes first (a child of its own); the graph does it with the same operations.
            input = WriteNormalization(builder, normalization, input);
            layers = (nn.Module<Tensor, Tensor>)normalized.ArchitectureModule(layers);
        }
        var weights = layers.state_dict();

        string output = definition switch
        {
            MlpNetwork mlp => WriteMlp(builder, mlp, weights, input),
            ImageNetwork { Architecture: LayeredArchitecture layered } image =>
                new LayerOnnxWriter(builder, weights, "").Write(layered.Layers(image.InputShape, image.Classes), "", input, image.InputShape),
            ImageNetwork { Architecture: OnnxBackbone } => WriteBackbone(builder, (OnnxBackboneNetwork)layers, input),
            ImageNetwork image => throw new OnnxFormatException(
                $"The image architecture '{image.Architecture.Name}' is an opaque TorchSharp module; only networks described with layers (every built-in architecture, ImageArchitectures.Register with a LayerStack, ONNX backbones) can be exported to ONNX."),
            _ => throw new OnnxFormatException($"Networks of kind '{definition.Kind}' have no ONNX export."),
        };

        if (rescaled)
        {
            output = builder.Node("Mul", "rescale.scale", new[] { output, builder.Scalar("rescale.scale", (float)definition.OutputScale) });
            output = builder.Node("Add", "rescale.shift", new[] { output, builder.Scalar("rescale.shift", (float)definition.OutputShift) });
        }
        var scoreShape = new long[] { -1, definition.OutputSize };
        if (task == PredictionTask.MulticlassClassification)
            builder.Output(builder.Node("Softmax", PredictionColumns.Score, new[] { output }, ("axis", 1L)), scoreShape);
        else
        {
            builder.Output(builder.Node("Identity", PredictionColumns.Score, new[] { output }), scoreShape);
            if (task == PredictionTask.BinaryClassification)
                builder.Output(builder.Node("Sigmoid", PredictionColumns.Probability, new[] { output }), scoreShape);
        }
        return builder.Build($"DeepExtensions {definition.Kind}: {definition}");
    }

    private static string WriteMlp(OnnxGraphBuilder builder, MlpNetwork mlp, IReadOnlyDictionary<string, Tensor> weights, string input)
    {
        var writer = new LayerOnnxWriter(builder, weights, "");
        string Dense(string name, string x) =>
            builder.Node("Gemm", name, new[] { x, builder.Initializer($"{name}.weight", weights[$"{name}.weight"]), builder.Initializer($"{name}.bias", weights[$"{name}.bias"]) }, ("transB", 1L));
        for (int i = 0; i < mlp.HiddenLayers.Count; i++)
        {
            input = Dense($"dense{i}", input);
            if (mlp.BatchNormalization)
                input = writer.Write(new BatchNormalization(), $"norm{i}", input, new long[] { mlp.HiddenLayers[i] });
            input = writer.Activation(mlp.Activation, $"act{i}", input);
        }
        return Dense("output", input);
    }

    /// <summary>
    /// <c>(x - mean[c]) / std[c]</c> as <see cref="ImageNormalization"/>'s module computes it: Sub then Div by <c>[C, 1, 1]</c>
    /// constants (a Div, not a Mul by the reciprocal, so the graph rounds as the module does). The constants have no batch
    /// axis because OpenCV 4.6's dnn module refuses a 4-D constant there; broadcasting gives the same result everywhere.
    /// </summary>
    private static string WriteNormalization(OnnxGraphBuilder builder, ImageNormalization normalization, string input)
    {
        using var scope = torch.NewDisposeScope();
        var mean = torch.tensor(normalization.Mean.ToArray()).view(-1, 1, 1);
        var std = torch.tensor(normalization.StandardDeviation.ToArray()).view(-1, 1, 1);
        string centered = builder.Node("Sub", "normalize.mean", new[] { input, builder.Initializer("normalize.mean", mean) });
        return builder.Node("Div", "normalize.std", new[] { centered, builder.Initializer("normalize.std", std) });
    }

    private static string WriteBackbone(OnnxGraphBuilder builder, OnnxBackboneNetwork network, string input)
    {
        string x = network.PixelScale == 1 ? input : builder.Node("Mul", "pixel_scale", new[] { input, builder.Scalar("pixel_scale", network.PixelScale) });
        if (network.Preprocessing is not null)
            x = ImportedGraphWriter.Append(builder, network.Preprocessing, x, "preprocessing/");
        x = ImportedGraphWriter.Append(builder, network.Backbone, x, "backbone/");
        x = builder.Node("Flatten", "features", new[] { x }, ("axis", 1L));
        if (network.Head is null)
            return x;
        return builder.Node("Gemm", "head", new[] { x, builder.Initializer("head.weight", network.Head.weight!), builder.Initializer("head.bias", network.Head.bias!) }, ("transB", 1L));
    }
}
