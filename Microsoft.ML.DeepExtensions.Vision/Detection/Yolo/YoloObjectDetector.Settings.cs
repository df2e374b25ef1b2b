using System.Globalization;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;

public sealed partial class YoloObjectDetector
{
    /// <summary>The resolved, checked settings (what is saved in model.zip besides the ONNX bytes).</summary>
    private sealed record Settings(
        YoloVersion Version, float Confidence, float Iou, int MaxDetections, bool ClassAgnostic,
        int InputWidth, int InputHeight, byte Padding, IReadOnlyList<string> ClassNames,
        ComputeDevice DevicePreference, int? CudaDeviceIndex, int BoxesOutput, int ScoresOutput, int IndicesOutput, bool MultiLabel)
    {
        /// <summary>The metadata entry that sets <see cref="Options.MultiLabel"/> when the options leave it unset.</summary>
        public const string MultiLabelMetadataKey = "multi_label";

        public OnnxDetectorKind Kind => KindOf(Version);

        public YoloOutputDecoder CreateDecoder() => Version switch
        {
            YoloVersion.V3 => new YoloV3ZooOutputDecoder(Confidence, MaxDetections, BoxesOutput, ScoresOutput, IndicesOutput),
            YoloVersion.V5 => new YoloV5OutputDecoder(Confidence, Iou, ClassAgnostic, MaxDetections, MultiLabel),
            YoloVersion.EndToEnd => new YoloEndToEndOutputDecoder(Confidence, MaxDetections, ClassNames.Count),
            YoloVersion.V8Segmentation => new YoloV8OutputDecoder(Confidence, Iou, ClassAgnostic, MaxDetections, segmentation: true),
            _ => new YoloV8OutputDecoder(Confidence, Iou, ClassAgnostic, MaxDetections),
        };

        public static OnnxDetectorKind KindOf(YoloVersion version) => version switch
        {
            YoloVersion.V3 => OnnxDetectorKind.YoloV3,
            YoloVersion.V5 => OnnxDetectorKind.YoloV5,
            YoloVersion.EndToEnd => OnnxDetectorKind.YoloEndToEnd,
            YoloVersion.V8Segmentation => OnnxDetectorKind.YoloV8Segmentation,
            _ => OnnxDetectorKind.YoloV8,
        };

        public static Settings From(Options options, OnnxDetectorSession session)
        {
            var kind = KindOf(options.Version);
            var layout = session.Layout;
            layout.Require(kind, session.ModelName);
            var image = layout.Inputs.First(i => i.Node.Dimensions.Length == 4).Node.Dimensions;
            if (image[1] is not (3 or -1))
                throw new InvalidDataException($"Model '{session.ModelName}' takes {image[1]} input channels; YOLO exports take 3 (RGB).");
            var (width, height) = InputSizeOf(options, session, image);

            int boxes = 0, scores = 0, indices = 0;
            int? classCount;
            if (options.Version == YoloVersion.V3)
            {
                var outputs = layout.Outputs;
                indices = Index(outputs, o => o.Node.Dimensions[^1] == 3 && o.Node.ElementDataType is OnnxRuntime.Tensors.TensorElementType.Int32 or OnnxRuntime.Tensors.TensorElementType.Int64);
                boxes = Index(outputs, o => o.Node.Dimensions.Length == 3 && o.Node.Dimensions[2] == 4);
                scores = Enumerable.Range(0, 3).First(i => i != indices && i != boxes);
                classCount = outputs[scores].Node.Dimensions[1] is var c and > 0 ? c : null;
            }
            else if (options.Version == YoloVersion.V8Segmentation)
            {
                var (predictions, prototypes) = layout.SegmentationOutputs()!.Value;
                int rows = layout.Outputs[predictions].Node.Dimensions[1], masks = layout.Outputs[prototypes].Node.Dimensions[1];
                classCount = rows > 0 && masks > 0 ? rows - 4 - masks : null;
            }
            else
            {
                var dims = layout.Outputs[0].Node.Dimensions;
                classCount = options.Version switch
                {
                    YoloVersion.V5 => dims[2] > 0 ? dims[2] - 5 : null,
                    YoloVersion.EndToEnd => null, // [B, N, 6] does not say; a class index beyond the names is an error when decoding
                    _ => dims[1] > 0 ? dims[1] - 4 : null,
                };
            }
            var names = ModelClassNames.Resolve(options.ClassNames, options.ClassNamesFile, session.Metadata, session.ModelName, classCount, "classes");
            byte padding = options.PaddingValue ?? (options.Version == YoloVersion.V3 ? (byte)128 : (byte)114);
            bool multiLabel = options.MultiLabel ?? (options.Version == YoloVersion.V5 && MultiLabelOf(session));
            return new Settings(options.Version, options.ConfidenceThreshold, options.IouThreshold, options.MaxDetections, options.ClassAgnosticNms,
                width, height, padding, names, options.Device, options.CudaDeviceIndex, boxes, scores, indices, multiLabel);
        }

        /// <summary>The <c>multi_label</c> metadata: <c>True</c>/<c>False</c> (Python's spelling) or JSON's; absent is false.</summary>
        private static bool MultiLabelOf(OnnxDetectorSession session)
        {
            if (!session.Metadata.TryGetValue(MultiLabelMetadataKey, out var text))
                return false;
            return bool.TryParse(text.Trim(), out bool value)
                ? value
                : throw new InvalidDataException($"Model '{session.ModelName}' has '{MultiLabelMetadataKey}' metadata '{text}'; expected True or False.");
        }

        private static int Index(IReadOnlyList<(string Name, OnnxRuntime.NodeMetadata Node)> outputs, Func<(string Name, OnnxRuntime.NodeMetadata Node), bool> match)
        {
            for (int i = 0; i < outputs.Count; i++)
            {
                if (match(outputs[i]))
                    return i;
            }
            throw new InvalidDataException($"Unexpected YOLOv3 outputs: {string.Join(", ", outputs.Select(o => o.Name))}.");
        }

        /// <summary>A fixed input size wins; a dynamic one comes from the options, the <c>imgsz</c> metadata or the default.</summary>
        private static (int Width, int Height) InputSizeOf(Options options, OnnxDetectorSession session, int[] image)
        {
            int h = image[2], w = image[3];
            if (h > 0 && w > 0)
            {
                if (options.InputSize is { } asked && (asked != w || asked != h))
                    throw new ArgumentOutOfRangeException(nameof(options.InputSize), asked, $"InputSize is {asked}, but model '{session.ModelName}' has a fixed {w}x{h} input; leave InputSize unset.");
                return (w, h);
            }
            if (options.InputSize is { } size)
                return (size, size);
            if (session.Metadata.TryGetValue("imgsz", out var text))
            {
                var parts = text.Trim('[', ']', ' ').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out int mh) && int.TryParse(parts[1], CultureInfo.InvariantCulture, out int mw) && mh > 0 && mw > 0)
                    return (mw, mh);
            }
            int fallback = options.Version == YoloVersion.V3 ? 416 : 640;
            return (w > 0 ? w : fallback, h > 0 ? h : fallback);
        }

        public void Write(BinaryWriter writer)
        {
            writer.Write((int)Version);
            writer.Write(Confidence);
            writer.Write(Iou);
            writer.Write(MaxDetections);
            writer.Write(ClassAgnostic);
            writer.Write(InputWidth);
            writer.Write(InputHeight);
            writer.Write(Padding);
            writer.Write(BoxesOutput);
            writer.Write(ScoresOutput);
            writer.Write(IndicesOutput);
        }

        public static Settings Read(BinaryReader reader, IReadOnlyList<string> classNames)
        {
            var version = (YoloVersion)reader.ReadInt32();
            float confidence = reader.ReadSingle(), iou = reader.ReadSingle();
            int maxDetections = reader.ReadInt32();
            bool agnostic = reader.ReadBoolean();
            int width = reader.ReadInt32(), height = reader.ReadInt32();
            byte padding = reader.ReadByte();
            int boxes = reader.ReadInt32(), scores = reader.ReadInt32(), indices = reader.ReadInt32();
            if (!Enum.IsDefined(version) || width <= 0 || height <= 0 || boxes is < 0 or > 2 || scores is < 0 or > 2 || indices is < 0 or > 2)
                throw new InvalidDataException($"Corrupt YOLO detector settings: version {(int)version}, input {width}x{height}.");
            DetectorThresholds.Check(confidence, iou, maxDetections);
            // The device preference is stored with the ONNX bytes (OnnxModelSettings); Auto here is replaced by the caller.
            return new Settings(version, confidence, iou, maxDetections, agnostic, width, height, padding, classNames, ComputeDevice.Auto, null, boxes, scores, indices, MultiLabel: false);
        }
    }
}
