using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML.DeepExtensions;

namespace DeepExtensions.Cli.Pipelines;

/// <summary>
/// What the CLI needs to know about a saved model beyond its ML.NET pipeline and input schema:
/// the task, the label column, and the classes. Stored as the <see cref="EntryName"/> entry of the
/// model's zip file; ML.NET ignores it when loading the model.
/// </summary>
/// <param name="Task">The prediction task.</param>
/// <param name="Label">The label column of the training data.</param>
/// <param name="Classes">Binary: [negative, positive] label values; multiclass: the classes in key order; regression: empty.</param>
public sealed partial record ModelInfo(PredictionTask Task, string Label, IReadOnlyList<string> Classes)
{
    /// <summary>For image classification models: what the images are and how the network sees them; null for CSV models.</summary>
    public ImageModelInput? Images { get; init; }

    /// <summary>For object detection models: the detector and its input size; null otherwise.</summary>
    public DetectionModelInput? Detection { get; init; }

    /// <summary>The zip entry holding this record as JSON.</summary>
    public const string EntryName = "DeepExtensionsCli/model.json";

    private const int CurrentFormat = 1;

    public string TaskName => Detection is not null ? TaskNames.ObjectDetection : Images is null ? TaskNames.Format(Task) : TaskNames.ImageClassification;

    public string ToJson() => JsonSerializer.Serialize(
        new Stored(CurrentFormat, Detection is null ? TaskNames.Format(Task) : TaskNames.ObjectDetection, Label, Classes.ToArray(), Images, Detection), StoredContext.Default.Stored);

    /// <summary>Reads the JSON of <see cref="ToJson"/>; null when it is not valid.</summary>
    public static ModelInfo? FromJson(string json)
    {
        try
        {
            var stored = JsonSerializer.Deserialize(json, StoredContext.Default.Stored);
            if (stored is null || stored.Format != CurrentFormat || string.IsNullOrEmpty(stored.Label))
                return null;
            // A detector's classes are a multiclass label's, one per object.
            if (stored.Task == TaskNames.ObjectDetection && stored.Detection is not null)
                return new ModelInfo(PredictionTask.MulticlassClassification, stored.Label, stored.Classes ?? Array.Empty<string>()) { Detection = stored.Detection };
            if (!TaskNames.TryParse(stored.Task, out var task))
                return null;
            return new ModelInfo(task, stored.Label, stored.Classes ?? Array.Empty<string>()) { Images = stored.Images };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal sealed record Stored(int Format, string Task, string Label, string[]? Classes, ImageModelInput? Images = null, DetectionModelInput? Detection = null);

    [JsonSerializable(typeof(Stored))]
    [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
    internal sealed partial class StoredContext : JsonSerializerContext
    {
    }
}

/// <summary>The images an image classification model reads.</summary>
/// <param name="Source"><c>idx</c> or <c>folder</c>.</param>
/// <param name="Shape">The network's input, CxHxW.</param>
/// <param name="Architecture">The CNN architecture's name.</param>
public sealed record ImageModelInput(string Source, string Shape, string Architecture)
{
    /// <summary>The height and width of <see cref="Shape"/> (CxHxW).</summary>
    /// <exception cref="FormatException">The stored shape is not three positive numbers.</exception>
    public (int Height, int Width) ImageSize()
    {
        var parts = Shape.Split('x');
        return parts.Length == 3
            && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int height) && height > 0
            && int.TryParse(parts[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int width) && width > 0
            ? (height, width)
            : throw new FormatException($"the model's input shape '{Shape}' is not CxHxW");
    }
}

/// <summary>What an object detection model is.</summary>
/// <param name="Architecture">The detector: a YOLO architecture name or cfg file.</param>
/// <param name="ImageSize">The square input side the images are letterboxed to.</param>
/// <param name="ImageColumn">The image column the model reads (the data's <c>ImagePath</c> is loaded into it).</param>
public sealed record DetectionModelInput(string Architecture, int ImageSize, string ImageColumn);

/// <summary>The CLI's task names: <c>binary</c>, <c>multiclass</c>, <c>regression</c> (and <c>image-classification</c>, its own command).</summary>
public static class TaskNames
{
    public const string ImageClassification = "image-classification";

    public const string ObjectDetection = "object-detection";

    public const string All = "binary, multiclass or regression";

    public static bool TryParse(string? name, out PredictionTask task)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "binary":
                task = PredictionTask.BinaryClassification;
                return true;
            case "multiclass":
                task = PredictionTask.MulticlassClassification;
                return true;
            case "regression":
                task = PredictionTask.Regression;
                return true;
            default:
                task = default;
                return false;
        }
    }

    public static string Format(PredictionTask task) => task switch
    {
        PredictionTask.BinaryClassification => "binary",
        PredictionTask.MulticlassClassification => "multiclass",
        _ => "regression",
    };
}
