using System.Text.Json;
using Microsoft.ML.DeepExtensions.Vision.Evaluation;

namespace Microsoft.ML.DeepExtensions.Vision.Data.Detection;

/// <summary>
/// Reads a COCO instances file (<c>images</c>, <c>annotations</c> with <c>bbox</c>, <c>iscrowd</c> and
/// <c>segmentation</c>, <c>categories</c>) and checks it against its images. The structure is read by
/// <see cref="CocoJson"/>, the evaluator's reader, so both accept the same files.
/// </summary>
internal static class CocoDetectionReader
{
    public static DetectionDataset Read(string jsonPath, string? imageFolder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jsonPath);
        var json = Path.GetFullPath(jsonPath);
        if (!File.Exists(json))
            throw new FileNotFoundException($"COCO instances file '{json}' not found.", json);
        using var document = Parse(json);
        var root = document.RootElement;
        CocoGroundTruth truth;
        try
        {
            truth = CocoJson.GroundTruthOf(root);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"'{json}': {ex.Message}", ex);
        }

        var categories = truth.Categories.OrderBy(c => c.Id).ToArray();
        var classNames = categories.Select(c => c.Name).ToArray();
        var duplicate = classNames.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidDataException($"'{json}': category name '{duplicate.Key}' is used by categories {string.Join(", ", categories.Where(c => c.Name == duplicate.Key).Select(c => c.Id))}; class names must be distinct.");
        var classOf = categories.Select((c, i) => (c.Id, i)).ToDictionary(p => p.Id, p => p.i);

        var segmentations = root.GetProperty("annotations").EnumerateArray()
            .Select(a => a.TryGetProperty("segmentation", out var s) ? s.Clone() : default).ToArray();
        var byImage = truth.Annotations.Select((a, i) => (Annotation: a, Index: i)).ToLookup(p => p.Annotation.ImageId);
        var folder = ImageFolder(json, imageFolder, truth.Images);

        var images = new List<DetectionImage>(truth.Images.Count);
        foreach (var image in truth.Images)
        {
            string where = $"'{json}': image id {image.Id}";
            if (string.IsNullOrWhiteSpace(image.FileName))
                throw new InvalidDataException($"{where} has no file_name.");
            var path = Path.GetFullPath(Path.Combine(folder, image.FileName));
            var (width, height) = ImageHeader.ReadSize(path, where);
            if ((image.Width > 0 && image.Width != width) || (image.Height > 0 && image.Height != height))
                throw new InvalidDataException($"{where} says {image.Width}x{image.Height}, but image file '{path}' is {width}x{height}; the boxes would be in the wrong pixels.");
            var objects = byImage[image.Id].Select(p =>
            {
                var a = p.Annotation;
                string at = $"'{json}': annotation id {a.Id} (image id {image.Id})";
                var (x0, y0, x1, y1) = DetectionBoxRules.Clip(a.X, a.Y, a.X + a.Width, a.Y + a.Height, width, height, at);
                return new DetectionObject(classOf[a.CategoryId], x0, y0, x1, y1, a.IsCrowd, Segmentation(segmentations[p.Index], width, height, at));
            });
            images.Add(new DetectionImage(image.Id, path, width, height, objects));
        }
        return new DetectionDataset(classNames, images);
    }

    private static JsonDocument Parse(string json)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(json));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{json}' is not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The folder COCO's <c>file_name</c>s are relative to: the caller's, or the first of the JSON file's folder, its
    /// <c>images/</c>, and, for a JSON file inside <c>annotations/</c> (COCO's own layout), the folder above and its
    /// <c>images/</c>, in which the first image exists.
    /// </summary>
    private static string ImageFolder(string json, string? imageFolder, IReadOnlyList<CocoImage> images)
    {
        if (imageFolder is not null)
        {
            var given = Path.GetFullPath(imageFolder);
            if (!Directory.Exists(given))
                throw new DirectoryNotFoundException($"Image folder '{given}' (for '{json}') not found.");
            return given;
        }
        var folder = Path.GetDirectoryName(json)!;
        var candidates = new List<string> { folder, Path.Combine(folder, "images") };
        if (string.Equals(Path.GetFileName(folder), "annotations", StringComparison.OrdinalIgnoreCase) && Path.GetDirectoryName(folder) is { } parent)
            candidates.AddRange(new[] { parent, Path.Combine(parent, "images") });
        var first = images.FirstOrDefault(i => !string.IsNullOrWhiteSpace(i.FileName));
        if (first is null)
            return folder;
        return candidates.FirstOrDefault(c => File.Exists(Path.Combine(c, first.FileName!)))
            ?? throw new FileNotFoundException(
                $"'{json}': image id {first.Id}'s file '{first.FileName}' is in none of {string.Join(", ", candidates.Select(c => $"'{c}'"))}; name the image folder.",
                first.FileName);
    }

    /// <summary>An annotation's <c>segmentation</c>: a list of polygons, or a run-length mask (<c>counts</c> as a list or COCO's compressed string, <c>size</c> [height, width]).</summary>
    private static ObjectSegmentation? Segmentation(JsonElement element, int width, int height, string where)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return null;
            case JsonValueKind.Array:
                var polygons = element.EnumerateArray().Select((polygon, k) =>
                {
                    if (polygon.ValueKind != JsonValueKind.Array || polygon.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number))
                        throw new InvalidDataException($"{where}: segmentation[{k}] must be a polygon [x0, y0, x1, y1, ...] of numbers, got {Shorten(polygon.GetRawText())}.");
                    var values = polygon.EnumerateArray().Select(v => v.GetSingle()).ToArray();
                    if (values.Length % 2 != 0 || values.Length < 6)
                        throw new InvalidDataException($"{where}: segmentation[{k}] holds {values.Length} numbers; a polygon needs x y pairs of at least 3 points.");
                    return values;
                }).ToArray();
                return polygons.Length == 0 ? null : ObjectSegmentation.FromPolygons(polygons);
            case JsonValueKind.Object:
                if (!element.TryGetProperty("size", out var size) || size.ValueKind != JsonValueKind.Array || size.GetArrayLength() != 2
                    || !size[0].TryGetInt32(out int rows) || !size[1].TryGetInt32(out int columns))
                    throw new InvalidDataException($"{where}: a run-length segmentation needs size [height, width], got {Shorten(element.GetRawText())}.");
                if (rows != height || columns != width)
                    throw new InvalidDataException($"{where}: run-length segmentation size [{rows}, {columns}] is not the image's [{height}, {width}].");
                if (!element.TryGetProperty("counts", out var counts))
                    throw new InvalidDataException($"{where}: a run-length segmentation needs counts.");
                long[] runs;
                if (counts.ValueKind == JsonValueKind.String)
                {
                    try
                    {
                        runs = CocoRunLengths.Decode(counts.GetString()!);
                    }
                    catch (FormatException ex)
                    {
                        throw new InvalidDataException($"{where}: compressed run-length counts are invalid: {ex.Message}", ex);
                    }
                }
                else if (counts.ValueKind == JsonValueKind.Array && counts.EnumerateArray().All(v => v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out _)))
                {
                    runs = counts.EnumerateArray().Select(v => v.GetInt64()).ToArray();
                }
                else
                {
                    throw new InvalidDataException($"{where}: run-length counts must be a list of integers or COCO's compressed string.");
                }
                if (ObjectSegmentation.RunLengthProblem(width, height, runs) is { } problem)
                    throw new InvalidDataException($"{where}: {problem}");
                return ObjectSegmentation.FromRunLengths(width, height, runs);
            default:
                throw new InvalidDataException($"{where}: segmentation must be a list of polygons or a run-length object, got {Shorten(element.GetRawText())}.");
        }
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
