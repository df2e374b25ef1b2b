using Microsoft.ML.DeepExtensions.Vision.Data.Detection;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Training;
using Microsoft.ML.Runtime;
using TorchSharp;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Training;

/// <summary>
/// What every detector trainer does the same way: bind and check the detection columns, pick the device and seed,
/// read the images through the one <see cref="DetectionBatchSource"/>, run the one <see cref="TrainingLoop"/> with
/// a <see cref="DetectionObjective"/>, and wrap the trained network in a detector transformer. A concrete trainer
/// (YOLO, Faster R-CNN) only builds its network and its transformer.
/// </summary>
/// <typeparam name="TOptions">The trainer's options.</typeparam>
/// <typeparam name="TTransformer">The fitted detector.</typeparam>
public abstract class DetectionTrainer<TOptions, TTransformer> : IEstimator<TTransformer>
    where TOptions : DetectionTrainerOptions
    where TTransformer : ObjectDetectionTransformer
{
    private protected DetectionTrainer(IHostEnvironment env, TOptions options, string name)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Host = env.Register(name);
        TrainerOptions = options;
        DeepExtensionsRegistration.Register(env);
    }

    private protected IHost Host { get; }

    /// <summary>The options this trainer was created with.</summary>
    public TOptions TrainerOptions { get; }

    /// <summary>How the last <see cref="Fit"/> went: one report per epoch, with the loss parts and the validation AP.</summary>
    public IReadOnlyList<TrainingProgress> TrainingHistory { get; private set; } = Array.Empty<TrainingProgress>();

    /// <summary>The input side the architecture asks for when the options leave it open (a cfg file's <c>[net]</c>); null when it has none.</summary>
    private protected virtual int? ArchitectureImageSize => null;

    /// <summary>The column of the objects' outlines for a detector that learns masks (Mask R-CNN); null (the default) for boxes only.</summary>
    private protected virtual string? MaskColumnName => null;

    /// <summary>The fitted detector's output columns: <see cref="DetectionColumns"/>' three, and <c>PredictedMasks</c> for a detector that learns masks.</summary>
    private protected DetectionColumns OutputColumns(IReadOnlyList<string> classNames) => MaskColumnName is null
        ? new DetectionColumns(classNames)
        : new DetectionColumns(classNames, predictedMasksColumnName: DetectionColumns.DefaultPredictedMasksColumnName);

    /// <summary>Images looked at to choose the input size when neither the options nor the architecture give one.</summary>
    private const int ImageSizeSample = 64;

    /// <summary>The network to train, freshly initialised (or from the options' initial weights), on the setup's device.</summary>
    private protected abstract TrainableDetector CreateDetector(DetectionTrainingSetup setup);

    /// <summary>The fitted transformer around the trained network.</summary>
    private protected abstract TTransformer CreateTransformer(TrainableDetector detector, DetectionTrainingSetup setup, DetectionColumns columns);

    public TTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var options = TrainerOptions;
        // Copy-paste moves objects by their outlines: a detector of boxes reads them too when the data has them.
        string? copyPasteOutlines = options.Augmentation.CopyPaste > 0 ? DetectionDataView.SegmentationColumnName : null;
        var columns = DetectionDataColumns.Bind(input.Schema, options.ImageColumnName, options.LabelColumnName, options.BoxColumnName, "training", MaskColumnName, copyPasteOutlines);
        DetectionDataColumns? validationColumns = null;
        if (options.ValidationData is { } validationData)
        {
            validationColumns = DetectionDataColumns.Bind(validationData.Schema, options.ImageColumnName, options.LabelColumnName, options.BoxColumnName, "validation", MaskColumnName);
            if (validationColumns.ClassCount != columns.ClassCount)
                throw new ArgumentOutOfRangeException(nameof(DeepTrainerOptions.ValidationData), $"ValidationData's label column '{options.LabelColumnName}' has {validationColumns.ClassCount} classes; the training data has {columns.ClassCount}. Map the labels of both with the same key mapping.");
        }
        int imageSize = options.ImageSize ?? ArchitectureImageSize ?? EstimateImageSize(input, columns.Image);

        using var channel = Host.Start("Training");
        var (device, seed, shuffleRandom, cacheBytes) = TrainingStart.Begin(options, Host, channel);
        var training = new DetectionBatchSource(input, columns, imageSize, device, cacheBytes, "training");
        var boxSizes = new List<(float Width, float Height)>();
        training.Prepare(options.CancellationToken, boxes =>
        {
            for (int k = 0; k < boxes.Length; k += 4)
                boxSizes.Add((boxes[k + 2] - boxes[k], boxes[k + 3] - boxes[k + 1]));
        });
        if (training.SkippedRows > 0)
            channel.Warning(MessageSensitivity.None, $"Skipped {training.SkippedRows} training rows with a missing image.");
        DetectionBatchSource? validation = null;
        if (validationColumns is not null)
        {
            validation = new DetectionBatchSource(options.ValidationData!, validationColumns, imageSize, device, cacheBytes, "validation");
            validation.Prepare(options.CancellationToken);
        }

        var setup = new DetectionTrainingSetup(columns.ClassNames, imageSize, boxSizes, device, seed, channel);
        var detector = CreateDetector(setup);
        try
        {
            channel.Info(MessageSensitivity.None,
                $"Training {Host.ContextDescription} on {training.RowCount} images ({training.ObjectCount} objects, {columns.ClassCount} classes) at {imageSize}x{imageSize} on {TorchBackend.Describe(device)}{(training.IsCached ? "" : ", streamed")}.");
            if (copyPasteOutlines is not null && columns.Masks is null)
                channel.Warning(MessageSensitivity.None, $"Augmentation.CopyPaste is {options.Augmentation.CopyPaste} but the training data has no outlines column '{copyPasteOutlines}': no copy-paste.");
            var augmentation = options.Augmentation.IsIdentity ? null : new DetectionAugmentation(options.Augmentation, imageSize, keepMasks: MaskColumnName is not null);
            var objective = new DetectionObjective(detector, augmentation, validation, columns.ClassNames);
            var summary = TrainingLoop.Run(detector.Module, objective, options, training, validation is not null, shuffleRandom, channel);
            TrainingHistory = summary.History;
            detector.Module.eval();
            var outputColumns = OutputColumns(columns.ClassNames);
            return CreateTransformer(detector, setup, outputColumns);
        }
        catch
        {
            detector.Module.Dispose();
            throw;
        }
    }

    /// <summary>The median longer side of the first images, rounded up to a multiple of 32, between 96 and 640.</summary>
    internal static int EstimateImageSize(IDataView data, string imageColumn)
    {
        var sides = new List<int>();
        using (var cursor = data.GetRowCursor(new[] { data.Schema[imageColumn] }))
        {
            var getImage = cursor.GetGetter<Microsoft.ML.Data.MLImage?>(data.Schema[imageColumn]);
            Microsoft.ML.Data.MLImage? image = null;
            while (sides.Count < ImageSizeSample && cursor.MoveNext())
            {
                try
                {
                    getImage(ref image);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    throw new InvalidOperationException($"Row {cursor.Position + 1} of the training data: the image in column '{imageColumn}' could not be read: {ex.Message}", ex);
                }
                if (image is not null)
                    sides.Add(Math.Max(image.Width, image.Height));
            }
        }
        if (sides.Count == 0)
            return 416;
        sides.Sort();
        int median = sides[sides.Count / 2];
        return Math.Clamp((median + 31) / 32 * 32, 96, 640);
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        // The class names are known only after Fit; the schema needs the columns' kinds, not the names.
        return OutputSchema(inputSchema, TrainerOptions, OutputColumns(new[] { "class" }));
    }

    /// <summary>
    /// A detector trainer's output schema: the input's columns and <paramref name="placeholder"/>'s, after checking that the
    /// label column is a vector of keys; shared with the trainers that do not train on this base (R-CNN's stages).
    /// </summary>
    internal static SchemaShape OutputSchema(SchemaShape inputSchema, DetectionTrainerOptions options, DetectionColumns placeholder)
    {
        var label = inputSchema.FirstOrDefault(c => c.Name == options.LabelColumnName);
        if (label.Name is null)
            throw new ArgumentOutOfRangeException(options.LabelColumnName, $"Label column '{options.LabelColumnName}' not found in the data. Available columns: {string.Join(", ", inputSchema.Select(c => c.Name))}.");
        if (!label.IsKey || label.Kind == SchemaShape.Column.VectorKind.Scalar)
            throw new ArgumentOutOfRangeException(options.LabelColumnName, $"Schema mismatch for label column '{label.Name}': expected a vector of keys, one per object (MapValueToKey on a vector of class names), got {label.ItemType}.");
        return ObjectDetectionEstimator<TTransformer>.OutputSchema(inputSchema, options.ImageColumnName, placeholder);
    }
}
