using System.Text.Json;

namespace Microsoft.ML.DeepExtensions.Vision.Evaluation;

/// <summary>
/// Reads COCO's JSON formats: an instances file (<c>{"images": [...], "annotations": [...], "categories": [...]}</c>,
/// as COCO's <c>instances_val2017.json</c>) and a detection results file (<c>[{"image_id", "category_id", "bbox",
/// "score"}, ...]</c>, with <c>"segmentation"</c> RLE for segmentation results). Segmentations are read as pycocotools
/// reads them (see <see cref="RunLengthEncodedMask"/>). Errors name the file, the element and the field.
/// </summary>
public static class CocoJson
{
    /// <summary>Reads a COCO instances file. An annotation without <c>area</c> gets its mask's area, else its box area; without
    /// <c>iscrowd</c>, 0; without <c>bbox</c> but with a segmentation, the mask's box.</summary>
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
        CheckUnique(images.Select(i => i.Id), "images", "id");
        var imageById = images.ToDictionary(image => image.Id);
        var annotations = Items(root, "annotations").Select((e, i) =>
        {
            long id = e.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.Number ? idElement.GetInt64() : i + 1;
            string where = $"annotations[{i}] (id {id})";
            long imageId = Long(e, "image_id", where);
            RunLengthEncodedMask? segmentation = null;
            if (e.TryGetProperty("segmentation", out var s) && s.ValueKind is JsonValueKind.Array or JsonValueKind.Object)
            {
                if (!imageById.TryGetValue(imageId, out var image))
                    throw new InvalidDataException($"{where}.image_id {imageId} is not among the images.");
                segmentation = Segmentation(s, image.Height, image.Width, $"{where}.segmentation", $"image {imageId}");
            }
            var (x, y, w, h) = e.TryGetProperty("bbox", out _) || segmentation is null ? Box(e, where) : segmentation.BoundingBox();
            double area = e.TryGetProperty("area", out var a) && a.ValueKind == JsonValueKind.Number ? a.GetDouble() : segmentation?.Area() ?? w * h;
            bool crowd = e.TryGetProperty("iscrowd", out var c) && (c.ValueKind == JsonValueKind.True || (c.ValueKind == JsonValueKind.Number && c.GetDouble() != 0));
            return new CocoAnnotation(id, imageId, Long(e, "category_id", where), x, y, w, h, area, crowd, segmentation);
        }).ToArray();
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
            RunLengthEncodedMask? segmentation = null;
            if (e.TryGetProperty("segmentation", out var s) && s.ValueKind != JsonValueKind.Null)
            {
                if (s.ValueKind != JsonValueKind.Object)
                    throw new InvalidDataException($"{where}.segmentation must be an RLE object {{\"size\": [height, width], \"counts\": ...}} (pycocotools reads segmentation results only as RLE), got {Kind(s)}.");
                segmentation = Segmentation(s, 0, 0, $"{where}.segmentation", null);
            }
            // pycocotools' loadRes takes a result's box from its mask when it has none.
            var (x, y, w, h) = e.TryGetProperty("bbox", out _) || segmentation is null ? Box(e, where) : segmentation.BoundingBox();
            return new CocoDetectionResult(Long(e, "image_id", where), Long(e, "category_id", where), x, y, w, h, Number(e, "score", where), segmentation);
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

    /// <summary>
    /// A <c>segmentation</c> as pycocotools' <c>annToRLE</c> reads it: a list of polygons (x0 y0 x1 y1 ...; when the first
    /// has exactly 4 numbers, frPyObjects reads every entry as a box x y w h) rasterized on the image and united; or RLE
    /// <c>{"size": [h, w], "counts": [...]}</c> (uncompressed) or <c>"counts": "..."</c> (compressed).
    /// </summary>
    /// <param name="s">The segmentation element.</param>
    /// <param name="height">The image height, for polygons (0 when unknown).</param>
    /// <param name="width">The image width, for polygons (0 when unknown).</param>
    /// <param name="where">The element, for messages.</param>
    /// <param name="image">The image, for messages; null when the image size is not known here.</param>
    private static RunLengthEncodedMask Segmentation(JsonElement s, int height, int width, string where, string? image)
    {
        if (s.ValueKind == JsonValueKind.Array)
        {
            if (height <= 0 || width <= 0)
                throw new InvalidDataException($"{where} is a polygon list, but {image} has no width and height to rasterize it on.");
            var polygons = s.EnumerateArray().Select((p, i) =>
            {
                if (p.ValueKind != JsonValueKind.Array || p.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number))
                    throw new InvalidDataException($"{where}[{i}] must be a list of numbers x0, y0, x1, y1, ...");
                return p.EnumerateArray().Select(v => v.GetDouble()).ToArray();
            }).ToArray();
            if (polygons.Length == 0)
                return RunLengthEncodedMask.FromPolygons(Array.Empty<double[]>(), height, width);
            if (polygons[0].Length == 4)
            {
                // pycocotools' frPyObjects reads 4-number entries as boxes x, y, w, h.
                polygons = polygons.Select((b, i) => b.Length == 4
                    ? new[] { b[0], b[1], b[0], b[1] + b[3], b[0] + b[2], b[1] + b[3], b[0] + b[2], b[1] }
                    : throw new InvalidDataException($"{where}[{i}] has {b.Length} numbers, but the first entry has 4, which makes them all boxes x, y, w, h (as pycocotools reads them).")).ToArray();
            }
            for (int i = 0; i < polygons.Length; i++)
            {
                if (polygons[i].Length < 6 || polygons[i].Length % 2 != 0)
                    throw new InvalidDataException($"{where}[{i}] must hold x, y pairs of at least 3 points, got {polygons[i].Length} numbers.");
            }
            return RunLengthEncodedMask.FromPolygons(polygons, height, width);
        }
        if (s.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{where} must be a polygon list or an RLE object, got {Kind(s)}.");
        if (!s.TryGetProperty("size", out var size) || size.ValueKind != JsonValueKind.Array || size.GetArrayLength() != 2
            || size.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n) || n < 0))
            throw new InvalidDataException($"{where}.size must be [height, width].");
        int h = size[0].GetInt32(), w = size[1].GetInt32();
        if (height > 0 && width > 0 && (h != height || w != width))
            throw new InvalidDataException($"{where}.size is [{h}, {w}], but {image} is {height} high and {width} wide.");
        if (!s.TryGetProperty("counts", out var counts))
            throw new InvalidDataException($"{where}.counts is missing.");
        try
        {
            if (counts.ValueKind == JsonValueKind.String)
                return RunLengthEncodedMask.FromCompressedString(counts.GetString()!, h, w);
            if (counts.ValueKind == JsonValueKind.Array && counts.EnumerateArray().All(v => v.ValueKind == JsonValueKind.Number && v.TryGetUInt32(out _)))
                return new RunLengthEncodedMask(h, w, counts.EnumerateArray().Select(v => v.GetUInt32()).ToArray());
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{where}: {ex.Message}", ex);
        }
        throw new InvalidDataException($"{where}.counts must be a compressed string or a list of run lengths.");
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
