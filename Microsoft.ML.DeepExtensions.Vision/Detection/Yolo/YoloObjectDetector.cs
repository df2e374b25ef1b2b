using System.Collections.Concurrent;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;

/// <summary>
/// Detects objects with a YOLO model exported to ONNX (the model zoo's YOLOv3, Ultralytics YOLOv5, YOLOv8 and
/// later, their segmentation exports, and end-to-end exports without NMS such as YOLOv10), scored by ONNX Runtime on
/// the CPU or CUDA. Each image is letterboxed to the network input as the exporters expect (aspect ratio kept, bilinear
/// resize, centred on grey padding, RGB, /255, NCHW); the outputs are decoded, filtered by confidence, reduced by NMS
/// (not for end-to-end exports) and mapped back to the original image's pixels.
/// </summary>
/// <remarks>
/// <para>Output columns (<see cref="DetectionColumns"/>): <c>PredictedLabel</c> (keys over the class names),
/// <c>Score</c>, <c>PredictedBoundingBoxes</c> (x0 y0 x1 y1 per detection, original pixels), by decreasing score;
/// <see cref="YoloVersion.V8Segmentation"/> adds <c>PredictedMasks</c>, with the instance masks made as Ultralytics
/// makes them (see <see cref="ObjectDetections.Masks"/> and <c>YoloPrototypeMasks</c>).</para>
/// <para>Models with a dynamic batch axis score <c>BatchSize</c> images per ONNX Runtime call; input, output and
/// scratch buffers are pooled and reused, so memory stays flat over any number of rows. The ONNX file's bytes
/// are saved inside model.zip with the settings.</para>
/// </remarks>
public sealed partial class YoloObjectDetector : ObjectDetectionTransformer, IDisposable
{
    internal const string LoaderSignature = "YoloObjectDetector";
    private const string ModelSignature = "YOLOONNX";
    // 2: MultiLabel after the ONNX bytes (version 1 files have none: false).
    private const uint FormatVersion = 2;

    private readonly OnnxDetectorSession _session;
    private readonly Settings _settings;
    private readonly string _imageInput;
    private readonly string? _shapeInput;
    private readonly string[] _outputNames;
    private readonly long[]? _fixedOutputShape;
    private readonly int _inputWidth, _inputHeight;
    private readonly int _callBatch;
    private readonly bool _dynamicBatch;
    private readonly ConcurrentBag<Buffers> _buffers = new();

    static YoloObjectDetector() => DeepExtensionsRegistration.AddLoader(LoaderSignature, typeof(YoloObjectDetector),
        (env, reader, info) => Load(env, reader, info.Version));

    private YoloObjectDetector(IHostEnvironment env, OnnxDetectorSession session, Settings settings, string imageColumnName, DetectionColumns columns, int batchSize)
        : base(env, nameof(YoloObjectDetector), imageColumnName, columns, batchSize)
    {
        _session = session;
        _settings = settings;
        var layout = session.Layout;
        var image = layout.Inputs.First(i => i.Node.Dimensions.Length == 4);
        _imageInput = image.Name;
        _shapeInput = settings.Version == YoloVersion.V3 ? layout.Inputs.First(i => i.Name != image.Name).Name : null;
        _outputNames = layout.Outputs.Select(o => o.Name).ToArray();
        (_inputWidth, _inputHeight) = (settings.InputWidth, settings.InputHeight);
        _dynamicBatch = image.Node.Dimensions[0] < 0;
        _callBatch = _dynamicBatch ? batchSize : image.Node.Dimensions[0];
        // v5/v8 outputs of a known size are written straight into pooled buffers.
        var outDims = layout.Outputs[0].Node.Dimensions;
        if (settings.Version != YoloVersion.V3 && layout.Outputs.Count == 1 && outDims.Skip(1).All(d => d > 0))
            _fixedOutputShape = outDims.Select(d => (long)d).ToArray();
    }

    /// <summary>The export layout read.</summary>
    public YoloVersion Version => _settings.Version;

    /// <summary>The network input size the images are letterboxed to (width, height).</summary>
    public (int Width, int Height) InputSize => (_inputWidth, _inputHeight);

    /// <summary>Where ONNX Runtime scores: <c>cpu</c> or <c>cuda:N</c>.</summary>
    public string Device => _session.Device;

    public float ConfidenceThreshold => _settings.Confidence;

    public float IouThreshold => _settings.Iou;

    public int MaxDetections => _settings.MaxDetections;

    /// <summary>Whether every class above the threshold makes a detection (see <see cref="Options.MultiLabel"/>).</summary>
    public bool MultiLabel => _settings.MultiLabel;

    /// <summary>Opens the ONNX model of <paramref name="options"/> and checks that it has the asked-for layout.</summary>
    /// <exception cref="FileNotFoundException">The model or class names file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable ONNX model, or its names do not fit.</exception>
    /// <exception cref="InvalidOperationException">The model has another layout (the message says which), or has no class names.</exception>
    public static YoloObjectDetector Create(IHostEnvironment env, Options options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        options.Check();
        var host = env.Register(nameof(YoloObjectDetector));
        using var channel = host.Start("Open");
        TorchBackend.EnsureStarted(); // NMS runs on TorchSharp tensors
        var session = OnnxDetectorSession.Open(options.ModelPath, options.Device, options.CudaDeviceIndex, env, channel);
        try
        {
            var settings = Settings.From(options, session);
            var columns = new DetectionColumns(settings.ClassNames, options.PredictedLabelColumnName, options.ScoreColumnName, options.PredictedBoundingBoxesColumnName,
                options.Version == YoloVersion.V8Segmentation ? options.PredictedMasksColumnName : null);
            return new YoloObjectDetector(env, session, settings, options.ImageColumnName, columns, options.BatchSize);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    protected override IReadOnlyList<ObjectDetections> DetectBatch(IReadOnlyList<MLImage> images)
    {
        var results = new ObjectDetections[images.Count];
        var buffers = Rent();
        try
        {
            for (int start = 0; start < images.Count; start += _callBatch)
            {
                int count = Math.Min(_callBatch, images.Count - start);
                Score(images, start, count, buffers, results);
            }
        }
        finally
        {
            _buffers.Add(buffers);
        }
        return results;
    }

    /// <summary>One ONNX Runtime call over images[start .. start + count).</summary>
    private void Score(IReadOnlyList<MLImage> images, int start, int count, Buffers buffers, ObjectDetections[] results)
    {
        int plane = 3 * _inputWidth * _inputHeight;
        int slots = _dynamicBatch ? count : _callBatch; // a fixed-batch model is given exactly its batch size
        for (int i = 0; i < count; i++)
        {
            var image = images[start + i];
            var mapping = ImageResizeMapping.Letterbox(image.Width, image.Height, _inputWidth, _inputHeight);
            buffers.Mappings[i] = mapping;
            buffers.Writer.Write(image, mapping, PixelNormalization.UnitRange, _settings.Padding, buffers.Input.AsSpan(i * plane, plane));
            buffers.ImageShapes[2 * i] = image.Height;
            buffers.ImageShapes[2 * i + 1] = image.Width;
        }
        for (int i = count; i < slots; i++)
        {
            buffers.Input.AsSpan(i * plane, plane).Fill(_settings.Padding / 255f);
            buffers.ImageShapes[2 * i] = _inputHeight;
            buffers.ImageShapes[2 * i + 1] = _inputWidth;
        }

        var inputs = new List<OrtValue>(2);
        try
        {
            inputs.Add(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffers.Input.AsMemory(0, slots * plane),
                new long[] { slots, 3, _inputHeight, _inputWidth }));
            var inputNames = new List<string> { _imageInput };
            if (_shapeInput is not null)
            {
                inputs.Add(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffers.ImageShapes.AsMemory(0, 2 * slots), new long[] { slots, 2 }));
                inputNames.Add(_shapeInput);
            }
            if (_fixedOutputShape is not null)
            {
                var shape = (long[])_fixedOutputShape.Clone();
                shape[0] = slots;
                long size = shape.Aggregate(1L, (a, b) => a * b);
                using var output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffers.Output(size).AsMemory(0, (int)size), shape);
                _session.Session.Run(buffers.RunOptions, inputNames, inputs, _outputNames, new[] { output });
                buffers.Decoder.Decode(new[] { output }, count, buffers.Mappings, buffers.Candidates, results, start);
            }
            else
            {
                using var outputs = _session.Session.Run(buffers.RunOptions, inputNames, inputs, _outputNames);
                buffers.Decoder.Decode(outputs, count, buffers.Mappings, buffers.Candidates, results, start);
            }
        }
        finally
        {
            foreach (var value in inputs)
                value.Dispose();
        }
    }

    private Buffers Rent() => _buffers.TryTake(out var buffers) ? buffers : new Buffers(_callBatch, 3 * _inputWidth * _inputHeight, _settings.CreateDecoder);

    protected override void SaveModel(ModelSaveContext ctx) =>
        ModelPersistence.Save(ctx, LoaderSignature, ModelSignature, FormatVersion, writer =>
        {
            WriteDetectionSettings(writer);
            _settings.Write(writer);
            OnnxModelSettings.Write(writer, _session, _settings.DevicePreference, _settings.CudaDeviceIndex);
            writer.Write(_settings.MultiLabel);
        });

    private static object Load(IHostEnvironment env, BinaryReader reader, uint version)
    {
        var (imageColumn, columns, batchSize) = ReadDetectionSettings(reader);
        var settings = Settings.Read(reader, columns.ClassNames);
        var (modelName, device, cudaIndex, bytes) = OnnxModelSettings.Read(reader);
        if (version >= 2)
            settings = settings with { MultiLabel = reader.ReadBoolean() };
        var host = env.Register(nameof(YoloObjectDetector));
        using var channel = host.Start("Load");
        TorchBackend.EnsureStarted();
        // A model saved on a GPU machine must still load on one without: Cuda becomes Auto.
        var session = OnnxDetectorSession.Open(bytes, modelName, device == ComputeDevice.Cpu ? ComputeDevice.Cpu : ComputeDevice.Auto, cudaIndex, env, channel);
        try
        {
            session.Layout.Require(settings.Kind, modelName);
            return new YoloObjectDetector(env, session, settings with { DevicePreference = device, CudaDeviceIndex = cudaIndex }, imageColumn, columns, batchSize);
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

    /// <summary>One scoring call's reusable memory: pinned-on-use input and output arrays, letterboxes, the letterboxing writer, candidates.</summary>
    private sealed class Buffers : IDisposable
    {
        private float[] _output = Array.Empty<float>();

        public Buffers(int images, int plane, Func<YoloOutputDecoder> createDecoder)
        {
            Input = new float[images * plane];
            ImageShapes = new float[2 * images];
            Mappings = new ImageResizeMapping[images];
            Decoder = createDecoder();
        }

        public float[] Input { get; }

        /// <summary>(height, width) per image, the YOLOv3 zoo graph's image_shape input.</summary>
        public float[] ImageShapes { get; }

        public ImageResizeMapping[] Mappings { get; }

        public YoloCandidates Candidates { get; } = new();

        public YoloOutputDecoder Decoder { get; }

        /// <summary>Letterboxes the images into <see cref="Input"/>, reusing its row buffers.</summary>
        public ImageTensorWriter Writer { get; } = new();

        public RunOptions RunOptions { get; } = new();

        public float[] Output(long size)
        {
            if (_output.Length < size)
                _output = new float[size];
            return _output;
        }

        public void Dispose() => RunOptions.Dispose();
    }
}
