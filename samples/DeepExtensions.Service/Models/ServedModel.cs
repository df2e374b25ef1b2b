using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Scoring;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.Transforms.Image;

namespace DeepExtensions.Service.Models;

/// <summary>One input column a request gives: its name and <c>number</c>, <c>text</c>, <c>boolean</c> or <c>image</c>.</summary>
public sealed record InputColumn(string Name, string Type);

/// <summary>
/// A model.zip loaded once and prepared for scoring one request at a time. The model is described from
/// its own ML.NET pipeline, so any model.zip the project makes is served, whether <c>deepext train</c> or
/// user code saved it:
/// <list type="bullet">
/// <item>an object detector (a trained YOLO, an ONNX YOLO/R-CNN detector, a Haar cascade: any
/// <see cref="ObjectDetectionTransformer"/>) answers its detections; the pipeline is cut after it;</item>
/// <item>a model whose pipeline starts by loading images from a path column (<c>LoadImages</c>) gets the uploaded
/// image in that loader's output column instead, and the rest of its pipeline (resizing, the network) runs as
/// saved;</item>
/// <item>a CNN trained on IDX pixels (a <c>Features</c> vector of the network's C x H x W input) gets the
/// uploaded image resized to the network's input (ML.NET's <c>ResizeImages</c>) in that column, the way
/// <c>deepext predict</c> scores image files with it;</item>
/// <item>anything else reads the feature columns of its input schema (the CSV columns of <c>deepext train</c>).</item>
/// </list>
/// The answer is read from the output columns: <c>Probability</c> means binary, a <c>Score</c> vector
/// multiclass (class names from its slot names, the network's classes or the predicted label's key values),
/// a single <c>Score</c> regression.
/// </summary>
public sealed class ServedModel : IDisposable
{
    private readonly ITransformer _loaded;

    private ServedModel(string path, ITransformer loaded, ITransformer serving, DataViewSchema inputSchema, ModelInputKind input,
        string? imageColumn, ModelOutputKind output, IReadOnlyList<string> classes, DetectionColumns? detection)
    {
        Path = path;
        _loaded = loaded;
        Transformer = serving;
        InputSchema = inputSchema;
        Input = input;
        ImageColumn = imageColumn;
        Output = output;
        Classes = classes;
        Detection = detection;

        var mapper = serving.GetRowToRowMapper(inputSchema);
        OutputColumns = OutputColumnNames(output, detection).Select(name => mapper.OutputSchema[name]).ToArray();
        var needed = mapper.GetDependencies(OutputColumns).Select(c => c.Name).ToHashSet();
        RequiredColumns = inputSchema.Where(c => !c.IsHidden && needed.Contains(c.Name)).ToArray();
        if (input == ModelInputKind.Features)
        {
            foreach (var column in RequiredColumns)
            {
                if (TypeName(column.Type) is null)
                    throw new NotSupportedException($"Model '{path}' reads column '{column.Name}' of type {column.Type}; the service reads numbers, text and Booleans from a request.");
            }
        }
    }

    /// <summary>The model file.</summary>
    public string Path { get; }

    /// <summary>The pipeline the service runs: the saved one, without its image loader, cut after a detector.</summary>
    public ITransformer Transformer { get; }

    /// <summary>The columns of one request row (the image column holds an <see cref="MLImage"/>).</summary>
    public DataViewSchema InputSchema { get; }

    /// <summary>Whether requests send an image or feature values.</summary>
    public ModelInputKind Input { get; }

    /// <summary>The column the uploaded image goes to; null for feature models.</summary>
    public string? ImageColumn { get; }

    /// <summary>What the model answers.</summary>
    public ModelOutputKind Output { get; }

    /// <summary>Class names in class-index order; empty for binary and regression models.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>A detector's output columns; null for other models.</summary>
    public DetectionColumns? Detection { get; }

    /// <summary>The output columns an answer is read from.</summary>
    public IReadOnlyList<DataViewSchema.Column> OutputColumns { get; }

    /// <summary>The input columns the answer depends on: what a request must give.</summary>
    public IReadOnlyList<DataViewSchema.Column> RequiredColumns { get; }

    /// <summary>The model's kind as <c>GET /model</c> shows it: <c>object-detection</c>, <c>image-classification</c>, or the CLI's task names.</summary>
    public string Kind => (Input, Output) switch
    {
        (_, ModelOutputKind.Detection) => "object-detection",
        (ModelInputKind.Image, ModelOutputKind.Multiclass) => "image-classification",
        (ModelInputKind.Image, ModelOutputKind.Binary) => "image-binary-classification",
        (ModelInputKind.Image, _) => "image-regression",
        (_, ModelOutputKind.Multiclass) => "multiclass",
        (_, ModelOutputKind.Binary) => "binary",
        _ => "regression",
    };

    /// <summary>The request's columns: the image, or the required feature columns with their types.</summary>
    public IReadOnlyList<InputColumn> Inputs => Input == ModelInputKind.Image
        ? new[] { new InputColumn(ImageColumn!, "image") }
        : RequiredColumns.Select(c => new InputColumn(c.Name, TypeName(c.Type)!)).ToArray();

    /// <summary>Loads <paramref name="path"/> and prepares it for scoring.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file cannot be loaded as an ML.NET model.</exception>
    /// <exception cref="NotSupportedException">The model reads or writes columns the service cannot serve.</exception>
    public static ServedModel Load(MLContext mlContext, string path)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        if (Directory.Exists(path))
            throw new FileNotFoundException($"Model path '{path}' is a folder; name a model.zip (Service:ModelPath or --model).", path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Model file '{path}' not found (Service:ModelPath or --model).", path);
        mlContext.RegisterDeepExtensions();
        ITransformer loaded;
        DataViewSchema savedInput;
        try
        {
            loaded = mlContext.Model.Load(path, out savedInput);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"Model file '{path}' cannot be loaded as an ML.NET model: {e.Message}", e);
        }
        try
        {
            return Prepare(mlContext, path, loaded, savedInput);
        }
        catch
        {
            (loaded as IDisposable)?.Dispose();
            throw;
        }
    }

    private static ServedModel Prepare(MLContext mlContext, string path, ITransformer loaded, DataViewSchema savedInput)
    {
        var steps = Flatten(loaded).ToList();
        int detectorIndex = steps.FindIndex(s => s is ObjectDetectionTransformer);
        var detector = detectorIndex >= 0 ? (ObjectDetectionTransformer)steps[detectorIndex] : null;
        if (detector is not null)
            steps.RemoveRange(detectorIndex + 1, steps.Count - detectorIndex - 1);
        var network = steps.OfType<NetworkPredictionTransformer>().FirstOrDefault();

        string? imageColumn = null;
        ITransformer? resize = null;
        if (steps.FirstOrDefault(s => s is ImageLoadingTransformer) is ImageLoadingTransformer loader)
        {
            // The loader's output: the image column it adds (or turns from a path into an image).
            imageColumn = loader.GetOutputSchema(savedInput)
                .FirstOrDefault(c => !c.IsHidden && c.Type is ImageDataViewType && savedInput.GetColumnOrNull(c.Name)?.Type is not ImageDataViewType).Name;
            steps.Remove(loader);
        }
        else if (detector is not null)
            imageColumn = detector.ImageColumnName;
        else if (network is { Network.InputShape: { Length: 3 } shape }
            && savedInput.GetColumnOrNull(network.FeatureColumnName) is { Type: VectorDataViewType })
        {
            // A CNN trained on IDX pixels: an image resized to the network's input is read as it reads image columns.
            imageColumn = network.FeatureColumnName;
            var imageSchema = ServingSchema(savedInput, imageColumn);
            resize = mlContext.Transforms.ResizeImages(imageColumn, (int)shape[2], (int)shape[1], imageColumn)
                .Fit(new SchemaOnlyDataView(imageSchema));
        }
        else
            imageColumn = savedInput.FirstOrDefault(c => !c.IsHidden && c.Type is ImageDataViewType).Name;

        var input = imageColumn is null ? savedInput : ServingSchema(savedInput, imageColumn);
        if (resize is not null)
            steps.Insert(0, resize);
        var serving = new TransformerChain<ITransformer>(steps.ToArray());
        DataViewSchema output;
        try
        {
            output = serving.GetOutputSchema(input);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new NotSupportedException($"Model '{path}' cannot be served: {e.Message}", e);
        }

        var (kind, classes) = detector is not null
            ? (ModelOutputKind.Detection, detector.ClassNames)
            : Describe(path, output, network);
        return new ServedModel(path, loaded, serving, input, imageColumn is null ? ModelInputKind.Features : ModelInputKind.Image,
            imageColumn, kind, classes, detector?.Columns);
    }

    private static (ModelOutputKind, IReadOnlyList<string>) Describe(string path, DataViewSchema output, NetworkPredictionTransformer? network)
    {
        var score = output.GetColumnOrNull("Score")
            ?? throw new NotSupportedException($"Model '{path}' has no Score column: the service serves classifiers, regressors and object detectors.");
        if (output.GetColumnOrNull("Probability") is { Type: NumberDataViewType } && score.Type is NumberDataViewType)
            return (ModelOutputKind.Binary, Array.Empty<string>());
        if (score.Type is NumberDataViewType)
            return (ModelOutputKind.Regression, Array.Empty<string>());
        if (score.Type is not VectorDataViewType { ItemType: NumberDataViewType, Size: > 0 } vector || vector.ItemType != NumberDataViewType.Single)
            throw new NotSupportedException($"Model '{path}' has a Score column of type {score.Type}; the service reads a float or a known-size float vector.");
        if (output.GetColumnOrNull("PredictedLabel") is null)
            throw new NotSupportedException($"Model '{path}' has a Score vector but no PredictedLabel column.");

        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        if (score.HasSlotNames())
        {
            score.GetSlotNames(ref slotNames);
            if (slotNames.Length == vector.Size)
                return (ModelOutputKind.Multiclass, slotNames.DenseValues().Select(n => n.ToString()).ToArray());
        }
        if (network?.ClassNames is { } names)
            return (ModelOutputKind.Multiclass, names);
        return (ModelOutputKind.Multiclass, Enumerable.Range(0, vector.Size).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
    }

    /// <summary>The saved input schema with <paramref name="imageColumn"/> as an image of any size (replacing a path or pixel column of that name).</summary>
    private static DataViewSchema ServingSchema(DataViewSchema saved, string imageColumn)
    {
        var builder = new DataViewSchema.Builder();
        foreach (var column in saved.Where(c => !c.IsHidden && c.Name != imageColumn))
            builder.AddColumn(column.Name, column.Type, column.Annotations);
        builder.AddColumn(imageColumn, new ImageDataViewType());
        return builder.ToSchema();
    }

    private static IReadOnlyList<string> OutputColumnNames(ModelOutputKind kind, DetectionColumns? detection) => kind switch
    {
        ModelOutputKind.Detection => new[] { detection!.PredictedLabelColumnName, detection.ScoreColumnName, detection.PredictedBoundingBoxesColumnName },
        ModelOutputKind.Multiclass => new[] { "Score", "PredictedLabel" },
        ModelOutputKind.Binary => new[] { "Score", "Probability", "PredictedLabel" },
        _ => new[] { "Score" },
    };

    /// <summary>The request type of a feature column; null for a type a request cannot give.</summary>
    internal static string? TypeName(DataViewType type) => type switch
    {
        TextDataViewType => "text",
        BooleanDataViewType => "boolean",
        _ when type == NumberDataViewType.Single || type == NumberDataViewType.Double => "number",
        _ => null,
    };

    private static IEnumerable<ITransformer> Flatten(ITransformer transformer)
    {
        if (transformer is IEnumerable<ITransformer> chain)
        {
            foreach (var inner in chain)
            {
                foreach (var step in Flatten(inner))
                    yield return step;
            }
        }
        else
            yield return transformer;
    }

    public void Dispose() => (_loaded as IDisposable)?.Dispose();
}
