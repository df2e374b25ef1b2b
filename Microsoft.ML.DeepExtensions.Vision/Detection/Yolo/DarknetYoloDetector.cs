using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;
using Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo.Training;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;

/// <summary>
/// Detects objects with a YOLO network defined by a Darknet cfg and run by TorchSharp: the transformer that
/// <c>mlContext.ObjectDetection().Trainers.Yolo(...)</c> fits, or a Darknet cfg and <c>.weights</c> pair opened with
/// <see cref="FromDarknet"/>. Each image is letterboxed to the network's square input (aspect ratio kept, bilinear,
/// grey padding, RGB in [0, 1]) exactly as the trainer prepared its images; boxes are decoded as YOLOv3 does, scored
/// objectness × class probability, reduced by class-aware NMS and mapped back to the original image's pixels.
/// </summary>
/// <remarks>
/// Output columns are <see cref="DetectionColumns"/>' (<c>PredictedLabel</c>, <c>Score</c>,
/// <c>PredictedBoundingBoxes</c>). <c>Transform</c> scores <c>BatchSize</c> images per forward pass in a dispose scope
/// of its own, so memory stays flat. The cfg and the weights travel inside model.zip; <see cref="ExportDarknet"/>
/// writes them as a cfg and <c>.weights</c> pair that Darknet loads.
/// </remarks>
public sealed class DarknetYoloDetector : ObjectDetectionTransformer, IDisposable
{
    internal const string LoaderSignature = "DarknetYoloDetector";
    private const string ModelSignature = "YOLODKNT";
    private const uint FormatVersion = 1;

    private readonly YoloTrainableDetector _detector;
    private readonly DarknetNetwork _network;
    private readonly Device _device;
    private readonly ComputeDevice _devicePreference;
    private readonly int? _cudaDeviceIndex;

    static DarknetYoloDetector() => DeepExtensionsRegistration.AddLoader(LoaderSignature, typeof(DarknetYoloDetector), Load);

    internal DarknetYoloDetector(IHostEnvironment env, DarknetNetwork network, YoloTrainableDetector detector, string imageColumnName, DetectionColumns columns,
        int batchSize, Device device, ComputeDevice devicePreference, int? cudaDeviceIndex)
        : base(env, nameof(DarknetYoloDetector), imageColumnName, columns, batchSize)
    {
        _network = network;
        _detector = detector;
        _device = device;
        _devicePreference = devicePreference;
        _cudaDeviceIndex = cudaDeviceIndex;
        _network.eval();
    }

    /// <summary>The network's Darknet cfg (a copy: changing it changes nothing here).</summary>
    public DarknetConfig Config => _network.Config.Clone();

    /// <summary>The side of the square network input the images are letterboxed to.</summary>
    public int ImageSize => _detector.ImageSize;

    /// <summary>Detections scoring at most this are dropped.</summary>
    public float ConfidenceThreshold => _detector.Thresholds.Confidence;

    /// <summary>The IoU above which class-aware NMS drops the lesser of two boxes.</summary>
    public float IouThreshold => _detector.Thresholds.Iou;

    /// <summary>The most detections per image.</summary>
    public int MaxDetections => _detector.Thresholds.MaxDetections;

    /// <summary>Where the network runs: <c>cpu</c> or <c>cuda:N</c>.</summary>
    public string Device => TorchBackend.Describe(_device);

    /// <summary>The TorchSharp network (e.g. for its <c>Summary()</c>).</summary>
    public DarknetNetwork Network => _network;

    /// <summary>
    /// Opens a Darknet model: the network of <paramref name="cfgPath"/> with the weights of <paramref name="weightsPath"/>, as
    /// Darknet's own <c>detector test</c> would run it.
    /// </summary>
    /// <param name="env">The MLContext.</param>
    /// <param name="cfgPath">A Darknet <c>.cfg</c> with <c>[yolo]</c> layers; its <c>[net]</c> width must equal its height.</param>
    /// <param name="weightsPath">Its <c>.weights</c> file.</param>
    /// <param name="classNames">One name per class of the cfg.</param>
    /// <param name="options">Thresholds, columns, batch size and device; null for the defaults.</param>
    public static DarknetYoloDetector FromDarknet(IHostEnvironment env, string cfgPath, string weightsPath, IReadOnlyList<string> classNames, DarknetDetectorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(classNames);
        options ??= new DarknetDetectorOptions();
        DetectorThresholds.Check(options.ConfidenceThreshold, options.IouThreshold, options.MaxDetections);
        if (!File.Exists(cfgPath))
            throw new FileNotFoundException($"Darknet cfg '{cfgPath}' not found.", cfgPath);
        if (!File.Exists(weightsPath))
            throw new FileNotFoundException($"Darknet weights '{weightsPath}' not found.", weightsPath);
        var config = DarknetConfig.Load(cfgPath);
        if (config.Width != config.Height)
            throw new ArgumentException($"Darknet cfg '{cfgPath}' has a {config.Width}x{config.Height} input; this detector letterboxes to a square input: set width and height to the same multiple of 32.", nameof(cfgPath));
        var yolo = config.GetYoloLayers();
        if (yolo.Count == 0)
            throw new ArgumentException($"Darknet cfg '{cfgPath}' has no [yolo] layer: it is not a YOLO detector.", nameof(cfgPath));
        if (yolo[0].Classes != classNames.Count)
            throw new ArgumentException($"Darknet cfg '{cfgPath}' predicts {yolo[0].Classes} classes, but {classNames.Count} class names were given.", nameof(classNames));

        var host = env.Register(nameof(DarknetYoloDetector));
        using var channel = host.Start("Open");
        TorchBackend.EnsureStarted();
        var device = TorchBackend.ResolveDevice(options.Device, options.CudaDeviceIndex, env, message => channel.Warning(MessageSensitivity.None, message));
        var network = new DarknetNetwork(config);
        try
        {
            DarknetWeights.Load(network, weightsPath);
            network.to(device);
            var thresholds = new YoloThresholds(options.ConfidenceThreshold, options.IouThreshold, options.MaxDetections);
            var detector = new YoloTrainableDetector(network, network.YoloLayers, config.Width, thresholds);
            var columns = new DetectionColumns(classNames, options.PredictedLabelColumnName, options.ScoreColumnName, options.PredictedBoundingBoxesColumnName);
            return new DarknetYoloDetector(env, network, detector, options.ImageColumnName, columns, options.BatchSize, device, options.Device, options.CudaDeviceIndex);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes the network as a Darknet cfg and <c>.weights</c> pair (Darknet's <c>detector test</c> loads them; the class
    /// names go in a names file of your own, one per line, in <c>ClassNames</c> order).
    /// </summary>
    /// <param name="cfgPath">Where the cfg goes.</param>
    /// <param name="weightsPath">Where the weights go.</param>
    /// <param name="overwrite">Replace existing files. Defaults to false: an existing file is an error.</param>
    public void ExportDarknet(string cfgPath, string weightsPath, bool overwrite = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(cfgPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(weightsPath);
        foreach (var path in new[] { cfgPath, weightsPath })
        {
            if (!overwrite && File.Exists(path))
                throw new IOException($"'{path}' exists; pass overwrite: true to replace it.");
        }
        var cfgTemporary = cfgPath + ".tmp";
        var weightsTemporary = weightsPath + ".tmp";
        try
        {
            _network.Config.Save(cfgTemporary);
            DarknetWeights.Save(_network, weightsTemporary);
            File.Move(cfgTemporary, cfgPath, overwrite: true);
            File.Move(weightsTemporary, weightsPath, overwrite: true);
        }
        finally
        {
            File.Delete(cfgTemporary);
            File.Delete(weightsTemporary);
        }
    }

    protected override IReadOnlyList<ObjectDetections> DetectBatch(IReadOnlyList<MLImage> images) =>
        LetterboxedDetection.Detect(images, ImageSize, _device, _detector.Detect);

    protected override void SaveModel(ModelSaveContext ctx) =>
        ModelPersistence.Save(ctx, LoaderSignature, ModelSignature, FormatVersion, writer =>
        {
            WriteDetectionSettings(writer);
            writer.Write(ImageSize);
            writer.Write(ConfidenceThreshold);
            writer.Write(IouThreshold);
            writer.Write(MaxDetections);
            writer.Write((int)_devicePreference);
            writer.Write(_cudaDeviceIndex ?? -1);
            writer.Write(_network.Config.ToText());
            writer.Write(_network.Config.Source);
            _network.save(writer);
        });

    private static object Load(IHostEnvironment env, BinaryReader reader)
    {
        var (imageColumn, columns, batchSize) = ReadDetectionSettings(reader);
        int imageSize = reader.ReadInt32();
        var thresholds = new YoloThresholds(reader.ReadSingle(), reader.ReadSingle(), reader.ReadInt32());
        var preference = (ComputeDevice)reader.ReadInt32();
        int cudaIndex = reader.ReadInt32();
        var config = DarknetConfig.Parse(reader.ReadString(), reader.ReadString());
        if (imageSize <= 0 || config.Width != imageSize || config.Height != imageSize)
            throw new InvalidDataException($"Corrupt YOLO model: image size {imageSize} does not match its cfg's {config.Width}x{config.Height}.");

        var device = LoadDevice(env, nameof(DarknetYoloDetector), preference, cudaIndex);
        var network = new DarknetNetwork(config);
        try
        {
            network.load(reader);
            network.to(device);
            var detector = new YoloTrainableDetector(network, network.YoloLayers, imageSize, thresholds);
            return new DarknetYoloDetector(env, network, detector, imageColumn, columns, batchSize, device, preference, cudaIndex < 0 ? null : cudaIndex);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    public void Dispose() => _network.Dispose();
}
