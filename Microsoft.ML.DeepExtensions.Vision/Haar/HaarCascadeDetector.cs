using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeepExtensions.Vision.Haar;

/// <summary>
/// A Haar cascade as an ML.NET transformer: reads an <see cref="MLImage"/> column and adds the detection
/// columns (see <see cref="DetectionColumns"/>): one class, the boxes OpenCV's
/// <c>CascadeClassifier::detectMultiScale</c> returns for the same gray pixels, and as score the number of
/// raw window hits merged into each box. Colour images are turned gray as OpenCV's <c>cvtColor</c> does.
/// An image smaller than the cascade's window gets no detections. The cascade is saved inside model.zip.
/// </summary>
public sealed class HaarCascadeDetector : ObjectDetectionTransformer
{
    internal const string LoaderSignature = "DeepExtHaarCascade";
    private const string ModelSignature = "DXHAARCD";
    private const uint FormatVersion = 1;

    private readonly HaarDetector _detector;
    private readonly HaarDetectionOptions _options;

    static HaarCascadeDetector() =>
        DeepExtensionsRegistration.AddLoader(LoaderSignature, typeof(HaarCascadeDetector), Load);

    internal HaarCascadeDetector(IHostEnvironment env, HaarCascade cascade, string imageColumnName, DetectionColumns columns,
        int batchSize, HaarDetectionOptions options)
        : base(env, nameof(HaarCascadeDetector), imageColumnName, columns, batchSize)
    {
        ArgumentNullException.ThrowIfNull(cascade);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _detector = new HaarDetector(cascade);
        _options = options;
    }

    /// <summary>The cascade this transformer runs.</summary>
    public HaarCascade Cascade => _detector.Cascade;

    /// <summary>Pyramid scale step.</summary>
    public double ScaleFactor => _options.ScaleFactor;

    /// <summary>Raw hits a box needs beyond itself.</summary>
    public int MinNeighbors => _options.MinNeighbors;

    /// <summary>Smallest object size searched (empty: no limit).</summary>
    public System.Drawing.Size MinSize => _options.MinSize;

    /// <summary>Largest object size searched (empty: the image size).</summary>
    public System.Drawing.Size MaxSize => _options.MaxSize;

    protected override IReadOnlyList<ObjectDetections> DetectBatch(IReadOnlyList<MLImage> images)
    {
        var results = new ObjectDetections[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            var image = images[i];
            byte[] gray = GrayConversion.FromImage(image);
            var found = _detector.Detect(gray, image.Width, image.Height, _options);
            var boxes = new float[4 * found.Count];
            var scores = new float[found.Count];
            for (int d = 0; d < found.Count; d++)
            {
                var box = found[d].Box;
                boxes[4 * d] = box.Left;
                boxes[4 * d + 1] = box.Top;
                boxes[4 * d + 2] = box.Right;
                boxes[4 * d + 3] = box.Bottom;
                scores[d] = found[d].Neighbors;
            }
            results[i] = new ObjectDetections(boxes, new int[found.Count], scores);
        }
        return results;
    }

    protected override void SaveModel(ModelSaveContext ctx) =>
        ModelPersistence.Save(ctx, LoaderSignature, ModelSignature, FormatVersion, writer =>
        {
            WriteDetectionSettings(writer);
            writer.Write(_options.ScaleFactor);
            writer.Write(_options.MinNeighbors);
            writer.Write(_options.MinSize.Width);
            writer.Write(_options.MinSize.Height);
            writer.Write(_options.MaxSize.Width);
            writer.Write(_options.MaxSize.Height);
            writer.Write(_options.MaxDegreeOfParallelism);
            using var xml = new MemoryStream();
            Cascade.Save(xml);
            writer.Write(checked((int)xml.Length));
            writer.Write(xml.GetBuffer(), 0, (int)xml.Length);
        });

    private static HaarCascadeDetector Load(IHostEnvironment env, BinaryReader reader)
    {
        var (imageColumn, columns, batchSize) = ReadDetectionSettings(reader);
        var options = new HaarDetectionOptions
        {
            ScaleFactor = reader.ReadDouble(),
            MinNeighbors = reader.ReadInt32(),
            MinSize = new System.Drawing.Size(reader.ReadInt32(), reader.ReadInt32()),
            MaxSize = new System.Drawing.Size(reader.ReadInt32(), reader.ReadInt32()),
            MaxDegreeOfParallelism = reader.ReadInt32(),
        };
        int length = reader.ReadInt32();
        if (length <= 0)
            throw new InvalidDataException($"Corrupt Haar cascade model: cascade length {length}.");
        var cascade = HaarCascade.Load(new MemoryStream(reader.ReadBytes(length)), "the cascade inside model.zip");
        return new HaarCascadeDetector(env, cascade, imageColumn, columns, batchSize, options);
    }
}
