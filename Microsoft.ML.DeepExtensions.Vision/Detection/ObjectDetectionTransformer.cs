using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Scoring;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.DeepExtensions.Vision.Detection;

/// <summary>
/// Base of every object detector as an ML.NET transformer: reads an image column (<see cref="MLImage"/>,
/// as <c>LoadImages</c> / <c>ResizeImages</c> produce it) and adds the <see cref="DetectionColumns"/>
/// (<c>PredictedLabel</c>, <c>Score</c>, <c>PredictedBoundingBoxes</c>).
/// </summary>
/// <remarks>
/// <para><see cref="Transform"/> is lazy and detects <see cref="BatchSize"/> images per call of
/// <see cref="DetectBatch"/>, reusing its buffers, so memory stays flat over any number of rows;
/// <c>PredictionEngine</c> detects one image per row. A subclass implements <see cref="DetectBatch"/> and its
/// persistence: <see cref="SaveModel"/> calls <c>ModelPersistence.Save</c>, writing
/// <see cref="WriteDetectionSettings"/> first, and its static constructor registers a loader with
/// <c>DeepExtensionsRegistration.AddLoader</c> that starts with <see cref="ReadDetectionSettings"/>.</para>
/// <para>An image that cannot be read (a missing value, or a getter that throws, e.g. for a missing or
/// undecodable file) gets no detections, and a warning naming the row and the reason goes to the
/// MLContext's log; the rest of its batch is detected normally.</para>
/// </remarks>
public abstract class ObjectDetectionTransformer : ITransformer, ICanSaveModel
{
    /// <param name="env">The host environment (the MLContext).</param>
    /// <param name="name">The component name used for the log.</param>
    /// <param name="imageColumnName">The input image column.</param>
    /// <param name="columns">The output columns and class names.</param>
    /// <param name="batchSize">Images per <see cref="DetectBatch"/> call in <see cref="Transform"/>; at least 1.</param>
    protected ObjectDetectionTransformer(IHostEnvironment env, string name, string imageColumnName, DetectionColumns columns, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(columns);
        if (string.IsNullOrWhiteSpace(imageColumnName))
            throw new ArgumentException("ImageColumnName must not be empty.", nameof(imageColumnName));
        if (batchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"BatchSize must be at least 1, got {batchSize}.");
        Host = env.Register(name);
        ImageColumnName = imageColumnName;
        Columns = columns;
        BatchSize = batchSize;
    }

    /// <summary>The host registered for this transformer; its channels write to the MLContext's log.</summary>
    protected internal IHost Host { get; }

    /// <summary>The input image column.</summary>
    public string ImageColumnName { get; }

    /// <summary>The output columns and the class names.</summary>
    public DetectionColumns Columns { get; }

    /// <summary>Class names in class-index order.</summary>
    public IReadOnlyList<string> ClassNames => Columns.ClassNames;

    /// <summary>Images per batch in <see cref="Transform"/>.</summary>
    public int BatchSize { get; }

    bool ITransformer.IsRowToRowMapper => true;

    /// <summary>Detects the objects of a batch of images.</summary>
    /// <param name="images">One to <see cref="BatchSize"/> images, none null, each at least 1x1 pixel.</param>
    /// <returns>One <see cref="ObjectDetections"/> per image, in the same order; boxes in each image's own pixels;
    /// class indices below <c>ClassNames.Count</c>.</returns>
    protected abstract IReadOnlyList<ObjectDetections> DetectBatch(IReadOnlyList<MLImage> images);

    /// <summary>Writes this transformer into model.zip (see the class remarks).</summary>
    protected abstract void SaveModel(ModelSaveContext ctx);

    void ICanSaveModel.Save(ModelSaveContext ctx) => SaveModel(ctx);

    /// <summary>Detects the objects of one image, outside any pipeline.</summary>
    public ObjectDetections Detect(MLImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckImage(image, nameof(image));
        return DetectChecked(new[] { image })[0];
    }

    /// <summary>Detects the objects of several images, <see cref="BatchSize"/> at a time.</summary>
    public IReadOnlyList<ObjectDetections> Detect(IReadOnlyList<MLImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var results = new List<ObjectDetections>(images.Count);
        for (int start = 0; start < images.Count; start += BatchSize)
        {
            var batch = new MLImage[Math.Min(BatchSize, images.Count - start)];
            for (int i = 0; i < batch.Length; i++)
            {
                batch[i] = images[start + i] ?? throw new ArgumentNullException(nameof(images), $"Image {start + i} is null.");
                CheckImage(batch[i], nameof(images));
            }
            results.AddRange(DetectChecked(batch));
        }
        return results;
    }

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        CheckImageColumn(inputSchema);
        return Columns.Append(inputSchema);
    }

    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new BatchedDataView(input, GetOutputSchema(input.Schema), new[] { ImageColumnName }, CreateBatch, BatchSize);
    }

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        new BatchedRowMapper(inputSchema, GetOutputSchema(inputSchema), new[] { ImageColumnName }, CreateBatch);

    private DetectionRowBatch CreateBatch(DataViewRow row, int capacity) => new(this, row, capacity);

    /// <summary>Throws ML.NET's schema errors unless <paramref name="schema"/> has the image column as an image.</summary>
    internal void CheckImageColumn(DataViewSchema schema) => Imaging.ImageColumns.Check(schema, ImageColumnName);

    /// <summary><see cref="DetectBatch"/> with its contract checked, so a subclass bug is named instead of misread.</summary>
    internal IReadOnlyList<ObjectDetections> DetectChecked(IReadOnlyList<MLImage> images)
    {
        var results = DetectBatch(images)
            ?? throw new InvalidOperationException($"{GetType().Name}.DetectBatch returned null.");
        if (results.Count != images.Count)
            throw new InvalidOperationException($"{GetType().Name}.DetectBatch returned {results.Count} results for {images.Count} images.");
        foreach (var detections in results)
        {
            if (detections is null)
                throw new InvalidOperationException($"{GetType().Name}.DetectBatch returned a null result.");
            foreach (int classIndex in detections.ClassIndices.Span)
            {
                if (classIndex >= ClassNames.Count)
                    throw new InvalidOperationException($"{GetType().Name} returned class index {classIndex}, but it has {ClassNames.Count} classes.");
            }
        }
        return results;
    }

    private static void CheckImage(MLImage image, string parameter)
    {
        if (image.Width <= 0 || image.Height <= 0)
            throw new ArgumentException($"Images must be at least 1x1 pixel, got {image.Width}x{image.Height}.", parameter);
    }

    /// <summary>Writes what this base needs back at load time: image column, batch size, output columns, class names.</summary>
    protected void WriteDetectionSettings(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(ImageColumnName);
        writer.Write(BatchSize);
        Columns.Write(writer);
    }

    /// <summary>Reads what <see cref="WriteDetectionSettings"/> wrote, for the subclass' loader.</summary>
    protected static (string ImageColumnName, DetectionColumns Columns, int BatchSize) ReadDetectionSettings(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        string image = reader.ReadString();
        int batchSize = reader.ReadInt32();
        if (batchSize <= 0)
            throw new InvalidDataException($"Corrupt detection model: batch size {batchSize}.");
        return (image, DetectionColumns.Read(reader), batchSize);
    }

    /// <summary>
    /// The device a loaded TorchSharp detector runs on: the CPU when it was saved with a CPU preference, else a CUDA GPU
    /// when there is one (a model trained on a GPU must still load on a machine without one), with a warning in the log.
    /// </summary>
    private protected static TorchSharp.torch.Device LoadDevice(IHostEnvironment env, string name, Microsoft.ML.DeepExtensions.Backend.ComputeDevice preference, int cudaIndex)
    {
        var host = env.Register(name);
        using var channel = host.Start("Load");
        Microsoft.ML.DeepExtensions.Backend.TorchBackend.EnsureStarted();
        var choice = preference == Microsoft.ML.DeepExtensions.Backend.ComputeDevice.Cpu ? Microsoft.ML.DeepExtensions.Backend.ComputeDevice.Cpu : Microsoft.ML.DeepExtensions.Backend.ComputeDevice.Auto;
        return Microsoft.ML.DeepExtensions.Backend.TorchBackend.ResolveDevice(choice, cudaIndex < 0 ? null : cudaIndex, env,
            message => channel.Warning(MessageSensitivity.None, message));
    }
}
