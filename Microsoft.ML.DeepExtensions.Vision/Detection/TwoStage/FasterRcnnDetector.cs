using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage.Training;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// Detects objects with a <see cref="FasterRcnn"/> run by TorchSharp: the transformer that
/// <c>mlContext.ObjectDetection().Trainers.FasterRcnn(...)</c> fits. Each image is letterboxed to the network's square
/// input exactly as the trainer prepared its images; detections (class probability above the score threshold, NMS per
/// class, the best <c>DetectionsPerImage</c>) are mapped back to the original image's pixels.
/// </summary>
/// <remarks>Output columns are <see cref="DetectionColumns"/>'. The architecture and the state dictionary (torchvision's
/// names) travel inside model.zip.</remarks>
public sealed class FasterRcnnDetector : ObjectDetectionTransformer, IDisposable
{
    internal const string LoaderSignature = "FasterRcnnDetector";
    private const string ModelSignature = "FRCNNDET";
    private const uint FormatVersion = 1;

    private readonly FasterRcnnTrainableDetector _detector;
    private readonly FasterRcnnArchitecture _architecture;
    private readonly Device _device;
    private readonly ComputeDevice _devicePreference;
    private readonly int? _cudaDeviceIndex;

    static FasterRcnnDetector() => DeepExtensionsRegistration.AddLoader(LoaderSignature, typeof(FasterRcnnDetector), Load);

    internal FasterRcnnDetector(IHostEnvironment env, FasterRcnnTrainableDetector detector, FasterRcnnArchitecture architecture, string imageColumnName,
        DetectionColumns columns, int batchSize, Device device, ComputeDevice devicePreference, int? cudaDeviceIndex)
        : base(env, nameof(FasterRcnnDetector), imageColumnName, columns, batchSize)
    {
        _detector = detector;
        _architecture = architecture;
        _device = device;
        _devicePreference = devicePreference;
        _cudaDeviceIndex = cudaDeviceIndex;
        _detector.Network.eval();
    }

    /// <summary>The side of the square network input the images are letterboxed to.</summary>
    public int ImageSize => _architecture.ImageSize;

    /// <summary>The TorchSharp network (torchvision's parameter names).</summary>
    public FasterRcnn Network => _detector.Network;

    /// <summary>Where the network runs: <c>cpu</c> or <c>cuda:N</c>.</summary>
    public string Device => TorchBackend.Describe(_device);

    protected override IReadOnlyList<ObjectDetections> DetectBatch(IReadOnlyList<MLImage> images) =>
        LetterboxedDetection.Detect(images, ImageSize, _device, _detector.Detect);

    protected override void SaveModel(ModelSaveContext ctx) =>
        ModelPersistence.Save(ctx, LoaderSignature, ModelSignature, FormatVersion, writer =>
        {
            WriteDetectionSettings(writer);
            writer.Write((int)_devicePreference);
            writer.Write(_cudaDeviceIndex ?? -1);
            _architecture.Write(writer);
            _detector.Network.save(writer);
        });

    private static object Load(IHostEnvironment env, BinaryReader reader)
    {
        var (imageColumn, columns, batchSize) = ReadDetectionSettings(reader);
        var preference = (ComputeDevice)reader.ReadInt32();
        int cudaIndex = reader.ReadInt32();
        var architecture = FasterRcnnArchitecture.Read(reader);
        if (architecture.Classes != columns.ClassNames.Count + 1)
            throw new InvalidDataException($"Corrupt Faster R-CNN model: {architecture.Classes} network classes for {columns.ClassNames.Count} class names (plus the background).");
        var device = LoadDevice(env, nameof(FasterRcnnDetector), preference, cudaIndex);
        var network = architecture.Build(null);
        try
        {
            network.load(reader);
            network.to(device);
            return new FasterRcnnDetector(env, new FasterRcnnTrainableDetector(network, null), architecture, imageColumn, columns, batchSize, device, preference, cudaIndex < 0 ? null : cudaIndex);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    public void Dispose() => _detector.Network.Dispose();
}
