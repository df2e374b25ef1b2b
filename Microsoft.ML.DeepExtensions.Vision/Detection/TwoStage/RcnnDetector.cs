using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage.Training;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// Detects objects with a <see cref="FasterRcnn"/> run by TorchSharp, the base of the transformers the R-CNN trainers fit
/// (<see cref="FasterRcnnDetector"/>, <see cref="MaskRcnnDetector"/>). Each image is letterboxed to the network's square
/// input exactly as the trainer prepared its images; detections (class probability above the score threshold, NMS per
/// class, the best <c>DetectionsPerImage</c>) are mapped back to the original image's pixels. With a mask branch each
/// detection's mask is pasted into the original image at its mapped box (<see cref="MaskPaster"/>) and thresholded at 0.5.
/// </summary>
/// <remarks>Output columns are <see cref="DetectionColumns"/>' (with <c>PredictedMasks</c> for a Mask R-CNN). The architecture
/// and the state dictionary (torchvision's names) travel inside model.zip.</remarks>
public abstract class RcnnDetector : ObjectDetectionTransformer, IDisposable
{
    private const uint FormatVersion = 1;

    private readonly FasterRcnnTrainableDetector _detector;
    private readonly FasterRcnnArchitecture _architecture;
    private readonly Device _device;
    private readonly ComputeDevice _devicePreference;
    private readonly int? _cudaDeviceIndex;
    private readonly string _loaderSignature;
    private readonly string _modelSignature;

    private protected RcnnDetector(IHostEnvironment env, string name, string loaderSignature, string modelSignature, Parts parts)
        : base(env, name, parts.ImageColumnName, parts.Columns, parts.BatchSize)
    {
        _detector = parts.Detector;
        _architecture = parts.Architecture;
        _device = parts.Device;
        _devicePreference = parts.DevicePreference;
        _cudaDeviceIndex = parts.CudaDeviceIndex;
        _loaderSignature = loaderSignature;
        _modelSignature = modelSignature;
        _detector.Network.eval();
    }

    /// <summary>What a detector is made of: the trained network and the settings it scores with.</summary>
    internal sealed record Parts(FasterRcnnTrainableDetector Detector, FasterRcnnArchitecture Architecture, string ImageColumnName,
        DetectionColumns Columns, int BatchSize, Device Device, ComputeDevice DevicePreference, int? CudaDeviceIndex);

    /// <summary>The side of the square network input the images are letterboxed to.</summary>
    public int ImageSize => _architecture.ImageSize;

    /// <summary>The TorchSharp network (torchvision's parameter names).</summary>
    public FasterRcnn Network => _detector.Network;

    /// <summary>Where the network runs: <c>cpu</c> or <c>cuda:N</c>.</summary>
    public string Device => TorchBackend.Describe(_device);

    protected override IReadOnlyList<ObjectDetections> DetectBatch(IReadOnlyList<MLImage> images)
    {
        if (!Network.HasMasks)
            return LetterboxedDetection.Detect(images, ImageSize, _device, _detector.Detect);
        // The mask probabilities leave the scoring scope as host arrays and are pasted once the boxes are in the image's pixels.
        float[][] probabilities = Array.Empty<float[]>();
        var detections = LetterboxedDetection.Detect(images, ImageSize, _device, batch =>
        {
            var (found, masks) = _detector.DetectWithMasks(batch);
            probabilities = masks;
            return found;
        });
        int side = _architecture.MaskHead!.MaskSize;
        return detections.Select((d, i) => MaskPaster.Attach(d, probabilities[i], side, (images[i].Height, images[i].Width))).ToArray();
    }

    protected override void SaveModel(ModelSaveContext ctx) =>
        ModelPersistence.Save(ctx, _loaderSignature, _modelSignature, FormatVersion, writer =>
        {
            WriteDetectionSettings(writer);
            writer.Write((int)_devicePreference);
            writer.Write(_cudaDeviceIndex ?? -1);
            _architecture.Write(writer);
            _detector.Network.save(writer);
        });

    /// <summary>Reads what <see cref="SaveModel"/> wrote and rebuilds the network on the device the model asks for.</summary>
    /// <param name="env">The host environment.</param>
    /// <param name="reader">The model's stream.</param>
    /// <param name="name">The detector's name, for messages.</param>
    /// <param name="masks">Whether the detector must have a mask branch (a Mask R-CNN) or must not.</param>
    private protected static Parts Read(IHostEnvironment env, BinaryReader reader, string name, bool masks)
    {
        var (imageColumn, columns, batchSize) = ReadDetectionSettings(reader);
        var preference = (ComputeDevice)reader.ReadInt32();
        int cudaIndex = reader.ReadInt32();
        var architecture = FasterRcnnArchitecture.Read(reader);
        if (architecture.Classes != columns.ClassNames.Count + 1)
            throw new InvalidDataException($"Corrupt {name} model: {architecture.Classes} network classes for {columns.ClassNames.Count} class names (plus the background).");
        if ((architecture.MaskHead is not null) != masks || (columns.PredictedMasksColumnName is not null) != masks)
            throw new InvalidDataException($"Corrupt {name} model: {(masks ? "no" : "a")} mask branch or masks column.");
        var device = LoadDevice(env, name, preference, cudaIndex);
        var network = architecture.Build(null);
        try
        {
            network.load(reader);
            network.to(device);
            return new Parts(new FasterRcnnTrainableDetector(network, null), architecture, imageColumn, columns, batchSize, device, preference, cudaIndex < 0 ? null : cudaIndex);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    public void Dispose() => _detector.Network.Dispose();
}
