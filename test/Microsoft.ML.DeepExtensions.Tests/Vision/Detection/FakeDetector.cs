using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection;

/// <summary>
/// Test detector with a result computed from the image alone: per image, <c>Width % 3</c> boxes; box i is
/// (i, i, Width - i, Height / 2 + i) of class i % 2 with score Offset + i / 10 + the first pixel byte / 1000.
/// Records the size of every batch it is handed.
/// </summary>
internal sealed class FakeDetector : ObjectDetectionTransformer
{
    internal const string LoaderSignature = "TestFakeDetector";
    internal static readonly string[] Classes = { "cat", "dog" };

    static FakeDetector() =>
        DeepExtensionsRegistration.AddLoader(LoaderSignature, typeof(FakeDetector), (env, reader) =>
        {
            var (image, columns, batchSize) = ReadDetectionSettings(reader);
            return new FakeDetector(env, image, columns, batchSize, reader.ReadSingle());
        });

    internal FakeDetector(IHostEnvironment env, string imageColumn, DetectionColumns columns, int batchSize, float offset)
        : base(env, nameof(FakeDetector), imageColumn, columns, batchSize)
    {
        Offset = offset;
    }

    internal FakeDetector(MLContext ml, int batchSize, float offset = 0.5f)
        : this(ml, "Image", new DetectionColumns(Classes), batchSize, offset)
    {
    }

    internal float Offset { get; }

    internal List<int> BatchSizes { get; } = new();

    internal static ObjectDetections Expected(int width, int height, byte firstByte, float offset)
    {
        int count = width % 3;
        var boxes = new float[4 * count];
        var classes = new int[count];
        var scores = new float[count];
        for (int i = 0; i < count; i++)
        {
            boxes[4 * i] = i;
            boxes[4 * i + 1] = i;
            boxes[4 * i + 2] = width - i;
            boxes[4 * i + 3] = height / 2 + i;
            classes[i] = i % 2;
            scores[i] = offset + i / 10f + firstByte / 1000f;
        }
        return new ObjectDetections(boxes, classes, scores);
    }

    protected override IReadOnlyList<ObjectDetections> DetectBatch(IReadOnlyList<MLImage> images)
    {
        BatchSizes.Add(images.Count);
        return images.Select(image => Expected(image.Width, image.Height, image.Pixels[0], Offset)).ToArray();
    }

    protected override void SaveModel(ModelSaveContext ctx) =>
        ModelPersistence.Save(ctx, LoaderSignature, "TSTFAKED", 1, writer =>
        {
            WriteDetectionSettings(writer);
            writer.Write(Offset);
        });
}
