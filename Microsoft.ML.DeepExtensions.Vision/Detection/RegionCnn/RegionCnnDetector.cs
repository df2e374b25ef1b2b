using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;

/// <summary>
/// Detects objects with a trained R-CNN (Girshick et al., 2014): the transformer that
/// <c>mlContext.ObjectDetection().Trainers.Rcnn(...)</c> fits. Each image is letterboxed to <see cref="ImageSize"/> as the
/// trainer prepared its images; selective search proposes regions, each is warped to <see cref="WarpSize"/> with context
/// and scored by the CNN's features, one linear SVM per class and that class's box regression; per-class NMS keeps the best.
/// </summary>
/// <remarks>Output columns are <see cref="DetectionColumns"/>'; <c>Score</c> is the logistic of the SVM margin. The CNN
/// (architecture and weights), the SVMs and the box regressors travel inside model.zip.</remarks>
public sealed class RegionCnnDetector : ObjectDetectionTransformer, IDisposable
{
    internal const string LoaderSignature = "RegionCnnDetector";
    private const string ModelSignature = "RCNN2014";
    private const uint FormatVersion = 1;

    private readonly RegionCnnModel _model;
    private readonly Device _device;
    private readonly ComputeDevice _devicePreference;
    private readonly int? _cudaDeviceIndex;

    static RegionCnnDetector() => DeepExtensionsRegistration.AddLoader(LoaderSignature, typeof(RegionCnnDetector), Load);

    internal RegionCnnDetector(IHostEnvironment env, RegionCnnModel model, string imageColumnName, DetectionColumns columns, int batchSize,
        Device device, ComputeDevice devicePreference, int? cudaDeviceIndex)
        : base(env, nameof(RegionCnnDetector), imageColumnName, columns, batchSize)
    {
        if (model.ClassCount != columns.ClassNames.Count)
            throw new InvalidDataException($"Corrupt R-CNN model: {model.ClassCount} SVMs for {columns.ClassNames.Count} class names.");
        _model = model;
        _device = device;
        _devicePreference = devicePreference;
        _cudaDeviceIndex = cudaDeviceIndex;
        _model.Network.Module.eval();
    }

    /// <summary>The side of the square images are letterboxed to before selective search.</summary>
    public int ImageSize => _model.Settings.ImageSize;

    /// <summary>The side of the square each region is warped to for the CNN.</summary>
    public int WarpSize => _model.Settings.WarpSize;

    /// <summary>Proposals scored per image.</summary>
    public int MaxProposals => _model.Settings.MaxProposals;

    /// <summary>The CNN's architecture name (e.g. <c>small-cnn</c>).</summary>
    public string Backbone => _model.Network.Definition.Architecture.Name;

    /// <summary>The trained stages (CNN, SVMs, box regressors) and their settings.</summary>
    internal RegionCnnModel Model => _model;

    /// <summary>Where the CNN runs: <c>cpu</c> or <c>cuda:N</c>.</summary>
    public string Device => TorchBackend.Describe(_device);

    protected override IReadOnlyList<ObjectDetections> DetectBatch(IReadOnlyList<MLImage> images) =>
        LetterboxedDetection.Detect(images, ImageSize, _device, _model.Detect);

    protected override void SaveModel(ModelSaveContext ctx) =>
        ModelPersistence.Save(ctx, LoaderSignature, ModelSignature, FormatVersion, writer =>
        {
            WriteDetectionSettings(writer);
            writer.Write((int)_devicePreference);
            writer.Write(_cudaDeviceIndex ?? -1);
            _model.Save(writer);
        });

    private static object Load(IHostEnvironment env, BinaryReader reader)
    {
        var (imageColumn, columns, batchSize) = ReadDetectionSettings(reader);
        var preference = (ComputeDevice)reader.ReadInt32();
        int cudaIndex = reader.ReadInt32();
        var device = LoadDevice(env, "R-CNN", preference, cudaIndex);
        var model = RegionCnnModel.Load(reader, device, columns.ClassNames.Count);
        try
        {
            return new RegionCnnDetector(env, model, imageColumn, columns, batchSize, device, preference, cudaIndex < 0 ? null : cudaIndex);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public void Dispose() => _model.Dispose();
}
