using System.Collections.Concurrent;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Rcnn;

/// <summary>
/// Detects objects with torchvision's Faster R-CNN or Mask R-CNN exported to ONNX, scored by ONNX Runtime on
/// the CPU or CUDA. The model resizes and normalises inside, so each image goes in as it is: float CHW RGB in
/// 0..1; boxes come back in the image's own pixels.
/// </summary>
/// <remarks>
/// <para>Output columns (<see cref="DetectionColumns"/>): <c>PredictedLabel</c> (keys over the label names; key
/// <c>k</c> is model label <c>k - 1</c>, so label 0 is the background), <c>Score</c>, <c>PredictedBoundingBoxes</c>
/// (x0 y0 x1 y1), by decreasing score.</para>
/// <para>Mask R-CNN: each detection's mask (probabilities over the whole image in the ONNX output) is kept as a
/// binary <see cref="InstanceMask"/> cropped to the box rounded out to whole pixels (columns
/// <c>floor(x0) .. ceil(x1) - 1</c>, rows <c>floor(y0) .. ceil(y1) - 1</c>), pixel on when its probability is above
/// <c>MaskThreshold</c>; <see cref="ObjectDetections.Masks"/> holds them, and the <c>PredictedMasks</c> column their pixels
/// (see <see cref="Segmentation.InstanceMasks"/> to split the column back, and for polygons and label images).</para>
/// <para>torchvision's export takes one image per call (no batch axis); the input buffer is pooled and reused.</para>
/// </remarks>
public sealed partial class RcnnObjectDetector : ObjectDetectionTransformer, IDisposable
{
    internal const string LoaderSignature = "RcnnObjectDetector";
    private const string ModelSignature = "RCNNONNX";
    private const uint FormatVersion = 1;

    private readonly OnnxDetectorSession _session;
    private readonly RcnnVariant _variant;
    private readonly float _confidence, _maskThreshold;
    private readonly int _maxDetections;
    private readonly ComputeDevice _devicePreference;
    private readonly int? _cudaDeviceIndex;
    private readonly string _input;
    private readonly string[] _outputNames;
    private readonly int _boxes, _labels, _scores, _masks;
    private readonly ConcurrentBag<Buffers> _buffers = new();

    static RcnnObjectDetector() => DeepExtensionsRegistration.AddLoader(LoaderSignature, typeof(RcnnObjectDetector), Load);

    private RcnnObjectDetector(IHostEnvironment env, OnnxDetectorSession session, RcnnVariant variant, float confidence, int maxDetections,
        float maskThreshold, ComputeDevice devicePreference, int? cudaDeviceIndex, string imageColumnName, DetectionColumns columns, int batchSize)
        : base(env, nameof(RcnnObjectDetector), imageColumnName, columns, batchSize)
    {
        _session = session;
        _variant = variant;
        _confidence = confidence;
        _maxDetections = maxDetections;
        _maskThreshold = maskThreshold;
        _devicePreference = devicePreference;
        _cudaDeviceIndex = cudaDeviceIndex;
        var layout = session.Layout;
        _input = layout.Inputs[0].Name;
        _outputNames = layout.Outputs.Select(o => o.Name).ToArray();
        // torchvision names them boxes, labels, scores(, masks); fall back to shapes for renamed outputs.
        _boxes = Find("boxes", o => o.Node.Dimensions.Length == 2 && o.Node.Dimensions[1] == 4);
        _labels = Find("labels", o => o.Node.Dimensions.Length == 1 && o.Node.ElementDataType == TensorElementType.Int64);
        _scores = Find("scores", o => o.Node.Dimensions.Length == 1 && o.Node.ElementDataType == TensorElementType.Float);
        _masks = variant == RcnnVariant.MaskRcnn ? Find("masks", o => o.Node.Dimensions.Length == 4) : -1;

        int Find(string name, Func<(string Name, NodeMetadata Node), bool> byShape)
        {
            for (int i = 0; i < layout.Outputs.Count; i++)
            {
                if (layout.Outputs[i].Name == name)
                    return i;
            }
            for (int i = 0; i < layout.Outputs.Count; i++)
            {
                if (byShape(layout.Outputs[i]))
                    return i;
            }
            throw new InvalidDataException($"Model '{session.ModelName}' has no '{name}' output: {layout.Describe()}.");
        }
    }

    /// <summary>Faster or Mask R-CNN.</summary>
    public RcnnVariant Variant => _variant;

    /// <summary>Where ONNX Runtime scores: <c>cpu</c> or <c>cuda:N</c>.</summary>
    public string Device => _session.Device;

    public float ConfidenceThreshold => _confidence;

    public int MaxDetections => _maxDetections;

    public float MaskThreshold => _maskThreshold;

    /// <summary>Opens the ONNX model of <paramref name="options"/> and checks that it has the asked-for layout.</summary>
    /// <exception cref="FileNotFoundException">The model or class names file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable ONNX model.</exception>
    /// <exception cref="InvalidOperationException">The model has another layout (the message says which), or has no class names.</exception>
    public static RcnnObjectDetector Create(IHostEnvironment env, Options options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        options.Check();
        var host = env.Register(nameof(RcnnObjectDetector));
        using var channel = host.Start("Open");
        var session = OnnxDetectorSession.Open(options.ModelPath, options.Device, options.CudaDeviceIndex, env, channel);
        try
        {
            session.Layout.Require(KindOf(options.Variant), session.ModelName);
            var names = ModelClassNames.Resolve(options.ClassNames, options.ClassNamesFile, session.Metadata, session.ModelName, null,
                "labels (line 1 = label 0, the background)");
            var columns = new DetectionColumns(names, options.PredictedLabelColumnName, options.ScoreColumnName, options.PredictedBoundingBoxesColumnName,
                options.Variant == RcnnVariant.MaskRcnn ? options.PredictedMasksColumnName : null);
            return new RcnnObjectDetector(env, session, options.Variant, options.ConfidenceThreshold, options.MaxDetections, options.MaskThreshold,
                options.Device, options.CudaDeviceIndex, options.ImageColumnName, columns, options.BatchSize);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static OnnxDetectorKind KindOf(RcnnVariant variant) => variant == RcnnVariant.MaskRcnn ? OnnxDetectorKind.MaskRcnn : OnnxDetectorKind.FasterRcnn;

    protected override IReadOnlyList<ObjectDetections> DetectBatch(IReadOnlyList<MLImage> images)
    {
        var results = new ObjectDetections[images.Count];
        var buffers = _buffers.TryTake(out var pooled) ? pooled : new Buffers();
        try
        {
            for (int i = 0; i < images.Count; i++)
                results[i] = DetectOne(images[i], buffers);
        }
        finally
        {
            _buffers.Add(buffers);
        }
        return results;
    }

    private ObjectDetections DetectOne(MLImage image, Buffers buffers)
    {
        int width = image.Width, height = image.Height;
        var input = buffers.Input(3 * width * height);
        ImageTensorWriter.WriteRgbPlanar(image, input, 1 / 255f);
        using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.AsMemory(0, 3 * width * height), new long[] { 3, height, width });
        using var outputs = _session.Session.Run(buffers.RunOptions, new[] { _input }, new[] { value }, _outputNames);

        var boxes = outputs[_boxes].GetTensorDataAsSpan<float>();
        var labels = outputs[_labels].GetTensorDataAsSpan<long>();
        var scores = outputs[_scores].GetTensorDataAsSpan<float>();
        int count = scores.Length;
        if (labels.Length != count || boxes.Length != 4 * count)
            throw new InvalidDataException($"Model '{_session.ModelName}' returned {boxes.Length / 4} boxes, {labels.Length} labels and {count} scores.");

        // torchvision returns detections by decreasing score; keep that order, stable for equal scores.
        var scoreCopy = scores.ToArray();
        var kept = Enumerable.Range(0, count).Where(i => scoreCopy[i] > _confidence)
            .OrderByDescending(i => scoreCopy[i]).ThenBy(i => i).ToArray();
        if (kept.Length > _maxDetections)
            kept = kept[.._maxDetections];

        var outBoxes = new float[4 * kept.Length];
        var outScores = new float[kept.Length];
        var outClasses = new int[kept.Length];
        for (int k = 0; k < kept.Length; k++)
        {
            int i = kept[k];
            long label = labels[i];
            if (label < 0 || label >= ClassNames.Count)
                throw new InvalidDataException($"Model '{_session.ModelName}' predicted label {label}, but only {ClassNames.Count} label names were given (line 1 = label 0, the background).");
            outClasses[k] = (int)label;
            outScores[k] = scores[i];
            for (int c = 0; c < 4; c++)
                outBoxes[4 * k + c] = Math.Clamp(boxes[4 * i + c], 0, c % 2 == 0 ? width : height);
        }
        IReadOnlyList<InstanceMask>? masks = null;
        if (_masks >= 0)
            masks = CropMasks(outputs[_masks], kept, outBoxes, width, height);
        return new ObjectDetections(outBoxes, outClasses, outScores, masks);
    }

    /// <summary>Binary masks cropped to each kept detection's box rounded out to whole pixels.</summary>
    private InstanceMask[] CropMasks(OrtValue maskValue, int[] kept, float[] boxes, int width, int height)
    {
        var shape = maskValue.GetTensorTypeAndShape().Shape;
        if (shape.Length != 4 || shape[1] != 1 || shape[2] != height || shape[3] != width)
            throw new InvalidDataException($"Model '{_session.ModelName}' returned masks of shape [{string.Join(",", shape)}], expected [N,1,{height},{width}] (Mask R-CNN pastes masks into the full image).");
        var all = maskValue.GetTensorDataAsSpan<float>();
        var masks = new InstanceMask[kept.Length];
        for (int k = 0; k < kept.Length; k++)
        {
            var probabilities = all.Slice(kept[k] * width * height, width * height);
            int left = Math.Clamp((int)MathF.Floor(boxes[4 * k]), 0, width), top = Math.Clamp((int)MathF.Floor(boxes[4 * k + 1]), 0, height);
            int right = Math.Clamp((int)MathF.Ceiling(boxes[4 * k + 2]), left, width), bottom = Math.Clamp((int)MathF.Ceiling(boxes[4 * k + 3]), top, height);
            int w = right - left, h = bottom - top;
            var pixels = new byte[w * h];
            for (int y = 0; y < h; y++)
            {
                var row = probabilities.Slice((top + y) * width + left, w);
                for (int x = 0; x < w; x++)
                    pixels[y * w + x] = row[x] > _maskThreshold ? (byte)1 : (byte)0;
            }
            masks[k] = new InstanceMask(left, top, w, h, pixels);
        }
        return masks;
    }

    protected override void SaveModel(ModelSaveContext ctx) =>
        ModelPersistence.Save(ctx, LoaderSignature, ModelSignature, FormatVersion, writer =>
        {
            WriteDetectionSettings(writer);
            writer.Write((int)_variant);
            writer.Write(_confidence);
            writer.Write(_maxDetections);
            writer.Write(_maskThreshold);
            OnnxModelSettings.Write(writer, _session, _devicePreference, _cudaDeviceIndex);
        });

    private static object Load(IHostEnvironment env, BinaryReader reader)
    {
        var (imageColumn, columns, batchSize) = ReadDetectionSettings(reader);
        var variant = (RcnnVariant)reader.ReadInt32();
        float confidence = reader.ReadSingle();
        int maxDetections = reader.ReadInt32();
        float maskThreshold = reader.ReadSingle();
        if (!Enum.IsDefined(variant) || !(maskThreshold >= 0 && maskThreshold < 1))
            throw new InvalidDataException($"Corrupt R-CNN detector settings: variant {(int)variant}, mask threshold {maskThreshold}.");
        DetectorThresholds.Check(confidence, 0.5f, maxDetections);
        var (modelName, device, cudaIndex, bytes) = OnnxModelSettings.Read(reader);
        var host = env.Register(nameof(RcnnObjectDetector));
        using var channel = host.Start("Load");
        // A model saved on a GPU machine must still load on one without: Cuda becomes Auto.
        var session = OnnxDetectorSession.Open(bytes, modelName, device == ComputeDevice.Cpu ? ComputeDevice.Cpu : ComputeDevice.Auto, cudaIndex, env, channel);
        try
        {
            session.Layout.Require(KindOf(variant), modelName);
            return new RcnnObjectDetector(env, session, variant, confidence, maxDetections, maskThreshold, device, cudaIndex, imageColumn, columns, batchSize);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        while (_buffers.TryTake(out var buffers))
            buffers.Dispose();
        _session.Dispose();
    }

    /// <summary>One caller's reusable memory: the image tensor (grown to the largest image seen) and run options.</summary>
    private sealed class Buffers : IDisposable
    {
        private float[] _input = Array.Empty<float>();

        public RunOptions RunOptions { get; } = new();

        public float[] Input(int size)
        {
            if (_input.Length < size)
                _input = new float[size];
            return _input;
        }

        public void Dispose() => RunOptions.Dispose();
    }
}
