using System.Text.Json;

namespace Microsoft.ML.DeepExtensions.Vision.Evaluation;

/// <summary>
/// Reads COCO's JSON formats: an instances file (<c>{"images": [...], "annotations": [...], "categories": [...]}</c>,
/// as COCO's <c>instances_val2017.json</c>) and a detection results file (<c>[{"image_id", "category_id", "bbox",
/// "score"}, ...]</c>). Errors name the file, the element and the field.
/// </summary>
public static class CocoJson
{
    /// <summary>Reads a COCO instances file. An annotation without <c>area</c> gets its box area; without <c>iscrowd</c>, 0.</summary>
    public static CocoGroundTruth ReadGroundTruth(string path) => WithFile(path, ParseGroundTruth);

    /// <summary>Reads a COCO detection results file.</summary>
    public static IReadOnlyList<CocoDetectionResult> ReadResults(string path) => WithFile(path, ParseResults);

    /// <summary>Parses the text of a COCO instances file.</summary>
    public static CocoGroundTruth ParseGroundTruth(string json) => WithDocument(json, GroundTruthOf);

    /// <summary>Reads a parsed COCO instances document (shared with the detection data loader, which also reads its segmentations).</summary>
    internal static CocoGroundTruth GroundTruthOf(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"A COCO instances file holds an object with images, annotations and categories, got {Kind(root)}.");
        var images = Items(root, "images").Select((e, i) => new CocoImage(
            Long(e, "id", $"images[{i}]"), OptionalString(e, "file_name"), OptionalInt(e, "width"), OptionalInt(e, "height"))).ToArray();
        var categories = Items(root, "categories").Select((e, i) => new CocoCategory(Long(e, "id", $"categories[{i}]"), String(e, "name", $"categories[{i}]"))).ToArray();
        var annotations = Items(root, "annotations").Select((e, i) =>
        {
            string where = $"annotations[{i}]";
            var (x, y, w, h) = Box(e, where);
            double area = e.TryGetProperty("area", out var a) && a.ValueKind == JsonValueKind.Number ? a.GetDouble() : w * h;
            bool crowd = e.TryGetProperty("iscrowd", out var c) && (c.ValueKind == JsonValueKind.True || (c.ValueKind == JsonValueKind.Number && c.GetDouble() != 0));
            long id = e.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.Number ? idElement.GetInt64() : i + 1;
            return new CocoAnnotation(id, Long(e, "image_id", where), Long(e, "category_id", where), x, y, w, h, area, crowd);
        }).ToArray();
        CheckUnique(images.Select(i => i.Id), "images", "id");
        CheckUnique(categories.Select(c => c.Id), "categories", "id");
        var imageIds = images.Select(i => i.Id).ToHashSet();
        var categoryIds = categories.Select(c => c.Id).ToHashSet();
        for (int i = 0; i < annotations.Length; i++)
        {
            if (!imageIds.Contains(annotations[i].ImageId))
                throw new InvalidDataException($"annotations[{i}] (id {annotations[i].Id}): image_id {annotations[i].ImageId} is not among the images.");
            if (!categoryIds.Contains(annotations[i].CategoryId))
                throw new InvalidDataException($"annotations[{i}] (id {annotations[i].Id}): category_id {annotations[i].CategoryId} is not among the categories ({string.Join(", ", categoryIds.Order())}).");
        }
        return new CocoGroundTruth(images, annotations, categories);
    }

    /// <summary>Parses the text of a COCO detection results file.</summary>
    public static IReadOnlyList<CocoDetectionResult> ParseResults(string json) => WithDocument(json, root =>
    {
        if (root.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"A COCO results file holds an array of detections, got {Kind(root)}.");
        return root.EnumerateArray().Select((e, i) =>
        {
            string where = $"[{i}]";
            var (x, y, w, h) = Box(e, where);
            return new CocoDetectionResult(Long(e, "image_id", where), Long(e, "category_id", where), x, y, w, h, Number(e, "score", where));
        }).ToArray();
    });

    private static T WithFile<T>(string path, Func<string, T> parse)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"'{path}' does not exist.", path);
        try
        {
            return parse(File.ReadAllText(path));
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"'{path}': {ex.Message}", ex);
        }
    }

    private static T WithDocument<T>(string json, Func<JsonElement, T> read)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"not valid JSON: {ex.Message}", ex);
        }
        using (document)
            return read(document.RootElement);
    }

    private static IEnumerable<JsonElement> Items(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var array) || array.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"'{name}' must be an array.");
        return array.EnumerateArray().Select((e, i) => e.ValueKind == JsonValueKind.Object ? e : throw new InvalidDataException($"{name}[{i}] must be an object, got {Kind(e)}."));
    }

    private static (double X, double Y, double W, double H) Box(JsonElement e, string where)
    {
        if (!e.TryGetProperty("bbox", out var box) || box.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{where}.bbox must be an array [x, y, width, height].");
        var values = box.EnumerateArray().ToArray();
        if (values.Length != 4 || values.Any(v => v.ValueKind != JsonValueKind.Number))
            throw new InvalidDataException($"{where}.bbox must hold 4 numbers [x, y, width, height], got {box.GetRawText()}.");
        double w = values[2].GetDouble(), h = values[3].GetDouble();
        if (w < 0 || h < 0)
            throw new InvalidDataException($"{where}.bbox has a negative size {w}x{h}.");
        return (values[0].GetDouble(), values[1].GetDouble(), w, h);
    }

    private static long Long(JsonElement e, string name, string where)
    {
        if (e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long result))
            return result;
        throw new InvalidDataException($"{where}.{name} must be an integer{(e.TryGetProperty(name, out var v) ? $", got {v.GetRawText()}" : " and is missing")}.");
    }

    private static double Number(JsonElement e, string name, string where)
    {
        if (e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && double.IsFinite(value.GetDouble()))
            return value.GetDouble();
        throw new InvalidDataException($"{where}.{name} must be a number{(e.TryGetProperty(name, out var v) ? $", got {v.GetRawText()}" : " and is missing")}.");
    }

    private static string String(JsonElement e, string name, string where) =>
        e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()! : throw new InvalidDataException($"{where}.{name} must be a string.");

    private static string? OptionalString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int OptionalInt(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int result) ? result : 0;

    private static void CheckUnique(IEnumerable<long> ids, string array, string field)
    {
        var seen = new HashSet<long>();
        foreach (long id in ids)
        {
            if (!seen.Add(id))
                throw new InvalidDataException($"{array} holds {field} {id} more than once.");
        }
    }

    private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();
}
