using System.Text;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;

/// <summary>
/// What an ONNX model's inputs and outputs look like, and which <see cref="OnnxDetectorKind"/> they match,
/// so that asking for the wrong kind fails with a message saying what the file is instead of decoding garbage.
/// </summary>
internal sealed class OnnxModelLayout
{
    private OnnxModelLayout(IReadOnlyList<(string Name, NodeMetadata Node)> inputs, IReadOnlyList<(string Name, NodeMetadata Node)> outputs)
    {
        Inputs = inputs;
        Outputs = outputs;
        Guess = GuessKind();
    }

    public IReadOnlyList<(string Name, NodeMetadata Node)> Inputs { get; }

    public IReadOnlyList<(string Name, NodeMetadata Node)> Outputs { get; }

    /// <summary>An output <c>[B, N, 6]</c> with at most this many rows is read as end-to-end detections; more rows are
    /// candidates (a one-class YOLOv5 export has thousands).</summary>
    public const int MaxEndToEndDetections = 1000;

    /// <summary>The kind the inputs and outputs match, or null when they match none.</summary>
    public OnnxDetectorKind? Guess { get; }

    /// <summary>
    /// One image in and one rank-3 output whose two last axes are both dynamic: a YOLOv5, YOLOv8 or end-to-end export
    /// that cannot be told apart before it runs (the decoders check the real shape then).
    /// </summary>
    public bool UndecidedYolo =>
        Guess is null && Inputs.Count == 1 && Rank(Inputs[0].Node) == 4 && Outputs.Count == 1 && Rank(Outputs[0].Node) == 3
        && Outputs[0].Node.Dimensions[1] < 0 && Outputs[0].Node.Dimensions[2] < 0;

    public static OnnxModelLayout Of(InferenceSession session) => new(
        session.InputMetadata.Select(p => (p.Key, p.Value)).ToArray(),
        session.OutputMetadata.Select(p => (p.Key, p.Value)).ToArray());

    /// <summary>Inputs and outputs as text, e.g. <c>inputs images float[1,3,640,640]; outputs output0 float[1,84,8400]</c>.</summary>
    public string Describe()
    {
        var text = new StringBuilder("inputs ");
        text.AppendJoin(", ", Inputs.Select(i => Format(i.Name, i.Node)));
        text.Append("; outputs ");
        text.AppendJoin(", ", Outputs.Select(o => Format(o.Name, o.Node)));
        return text.ToString();
    }

    /// <summary>The guess in words: "looks like a YOLOv5 export (...)".</summary>
    public string DescribeGuess()
    {
        if (Guess is not { } kind)
            return "it matches none of the supported layouts (YOLOv3 model zoo, YOLOv5, YOLOv8+, YOLOv8+ segmentation, end-to-end YOLO, torchvision Faster/Mask R-CNN)";
        return kind switch
        {
            OnnxDetectorKind.YoloV8 => $"it looks like a YOLOv8-or-later export ([batch, 4 + classes, candidates] = {Shape(Outputs[0].Node)}, {Outputs[0].Node.Dimensions[1] - 4} classes)",
            OnnxDetectorKind.YoloV8Segmentation => DescribeSegmentation(),
            OnnxDetectorKind.YoloEndToEnd => $"it looks like an end-to-end YOLO export without NMS (YOLOv10 and later: [batch, detections, 6] = {Shape(Outputs[0].Node)}, x0 y0 x1 y1 score class)",
            OnnxDetectorKind.YoloV5 => $"it looks like a YOLOv5 export ([batch, candidates, 5 + classes] = {Shape(Outputs[0].Node)}, {Outputs[0].Node.Dimensions[2] - 5} classes)",
            OnnxDetectorKind.YoloV3 => "it looks like the ONNX model zoo's YOLOv3 (image and image_shape inputs; boxes, scores and NMS indices outputs)",
            OnnxDetectorKind.MaskRcnn => "it looks like a torchvision Mask R-CNN export (one CHW image in; boxes, labels, scores, masks out)",
            _ => "it looks like a torchvision Faster R-CNN export (one CHW image in; boxes, labels, scores out)",
        };
    }

    /// <summary>Throws unless the model matches <paramref name="kind"/>, naming what it looks like instead.</summary>
    public void Require(OnnxDetectorKind kind, string modelName)
    {
        if (Guess == kind || (UndecidedYolo && kind is OnnxDetectorKind.YoloV5 or OnnxDetectorKind.YoloV8 or OnnxDetectorKind.YoloEndToEnd))
            return;
        throw new InvalidOperationException(
            $"Model '{modelName}' does not have the {Name(kind)} layout ({Expected(kind)}): {DescribeGuess()}. Its {Describe()}." +
            (Guess is { } guess ? $" Ask for {Name(guess)} instead." : ""));
    }

    public static string Name(OnnxDetectorKind kind) => kind switch
    {
        OnnxDetectorKind.YoloV3 => "YOLOv3 (model zoo)",
        OnnxDetectorKind.YoloV5 => "YOLOv5",
        OnnxDetectorKind.YoloV8 => "YOLOv8",
        OnnxDetectorKind.YoloEndToEnd => "end-to-end YOLO (YoloVersion.EndToEnd)",
        OnnxDetectorKind.YoloV8Segmentation => "YOLOv8 segmentation (YoloVersion.V8Segmentation)",
        OnnxDetectorKind.FasterRcnn => "Faster R-CNN",
        OnnxDetectorKind.MaskRcnn => "Mask R-CNN",
        _ => kind.ToString(),
    };

    private static string Expected(OnnxDetectorKind kind) => kind switch
    {
        OnnxDetectorKind.YoloV3 => "inputs image [B,3,H,W] and image_shape [B,2]; outputs boxes [B,N,4], scores [B,C,N], indices [K,3]",
        OnnxDetectorKind.YoloV5 => "one image input [B,3,H,W]; one output [B, candidates, 5 + classes]",
        OnnxDetectorKind.YoloV8 => "one image input [B,3,H,W]; one output [B, 4 + classes, candidates]",
        OnnxDetectorKind.YoloEndToEnd => "one image input [B,3,H,W]; one output [B, detections, 6]: x0 y0 x1 y1 score class",
        OnnxDetectorKind.YoloV8Segmentation => "one image input [B,3,H,W]; two outputs: [B, 4 + classes + 32, candidates] and the mask prototypes [B, 32, H/4, W/4]",
        OnnxDetectorKind.FasterRcnn => "one image input [3,H,W]; outputs boxes [N,4], labels [N], scores [N]",
        _ => "one image input [3,H,W]; outputs boxes [N,4], labels [N], scores [N], masks [N,1,H,W]",
    };

    private OnnxDetectorKind? GuessKind()
    {
        if (Inputs.Count == 2 && Outputs.Count == 3)
        {
            bool hasShapeInput = Inputs.Any(i => Rank(i.Node) == 2 && i.Node.Dimensions[1] == 2);
            bool hasImage = Inputs.Any(i => Rank(i.Node) == 4);
            bool hasIndices = Outputs.Any(o => Rank(o.Node) is 2 or 3 && o.Node.Dimensions[^1] == 3);
            bool hasBoxes = Outputs.Any(o => Rank(o.Node) == 3 && o.Node.Dimensions[2] == 4);
            if (hasShapeInput && hasImage && hasIndices && hasBoxes)
                return OnnxDetectorKind.YoloV3;
        }
        if (Inputs.Count == 1 && Rank(Inputs[0].Node) == 3 && Outputs.Count is 3 or 4)
        {
            var names = Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
            if (names.IsSupersetOf(new[] { "boxes", "labels", "scores" }) || Outputs.Count(o => Rank(o.Node) == 1) == 2)
                return Outputs.Count == 4 ? OnnxDetectorKind.MaskRcnn : OnnxDetectorKind.FasterRcnn;
        }
        if (Inputs.Count == 1 && Rank(Inputs[0].Node) == 4 && SegmentationOutputs() is (int predictions, int prototypes))
        {
            // Ultralytics' segmentation head: [B, 4 + C + M, N] beside prototypes [B, M, h, w].
            int a = Outputs[predictions].Node.Dimensions[1], b = Outputs[predictions].Node.Dimensions[2];
            int m = Outputs[prototypes].Node.Dimensions[1];
            if (a > 4 + Math.Max(m, 0) && (b < 0 || b > a))
                return OnnxDetectorKind.YoloV8Segmentation;
            return null;
        }
        if (Inputs.Count == 1 && Rank(Inputs[0].Node) == 4 && Outputs.Count >= 1 && Rank(Outputs[0].Node) == 3)
        {
            int a = Outputs[0].Node.Dimensions[1], b = Outputs[0].Node.Dimensions[2];
            // [B, 4 + C, N] has far fewer rows than candidates; [B, N, 5 + C] the other way round. A dynamic
            // axis (-1) is the candidate count.
            if (a > 4 && (b < 0 || (b > a)))
                return Outputs.Count == 1 ? OnnxDetectorKind.YoloV8 : null;
            // [B, N, 6] with few rows: already-selected detections (Ultralytics reads any last axis of 6 so).
            if (b == 6 && (a < 0 || a <= MaxEndToEndDetections))
                return Outputs.Count == 1 ? OnnxDetectorKind.YoloEndToEnd : null;
            if (b > 5 && (a < 0 || a > b))
                return Outputs.Count == 1 ? OnnxDetectorKind.YoloV5 : null;
        }
        return null;
    }

    /// <summary>
    /// The indices of the predictions (rank 3) and prototypes (rank 4) outputs of a two-output YOLO segmentation
    /// export, or null when the outputs are not one of each.
    /// </summary>
    public (int Predictions, int Prototypes)? SegmentationOutputs()
    {
        if (Outputs.Count != 2)
            return null;
        int r0 = Rank(Outputs[0].Node), r1 = Rank(Outputs[1].Node);
        return (r0, r1) switch
        {
            (3, 4) => (0, 1),
            (4, 3) => (1, 0),
            _ => null,
        };
    }

    private string DescribeSegmentation()
    {
        var (predictions, prototypes) = SegmentationOutputs()!.Value;
        int rows = Outputs[predictions].Node.Dimensions[1], m = Outputs[prototypes].Node.Dimensions[1];
        string classes = m > 0 ? $", {rows - 4 - m} classes" : "";
        return $"it looks like a YOLOv8-or-later segmentation export ([batch, 4 + classes + {(m > 0 ? m : 32)}, candidates] = {Shape(Outputs[predictions].Node)}{classes}, mask prototypes {Shape(Outputs[prototypes].Node)})";
    }

    private static int Rank(NodeMetadata node) => node.IsTensor ? node.Dimensions.Length : -1;

    private static string Shape(NodeMetadata node) =>
        "[" + string.Join(",", node.Dimensions.Select((d, i) => d >= 0 ? d.ToString() : (node.SymbolicDimensions?.ElementAtOrDefault(i) is { Length: > 0 } s ? s : "?"))) + "]";

    private static string Format(string name, NodeMetadata node) =>
        node.IsTensor ? $"{name} {node.ElementDataType.ToString().ToLowerInvariant()}{Shape(node)}" : $"{name} (not a tensor)";
}
