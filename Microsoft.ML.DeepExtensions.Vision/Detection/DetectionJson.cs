using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Microsoft.ML.DeepExtensions.Vision.Detection;

/// <summary>
/// Writes and reads one image's detections as JSON (what the CLI's <c>detect</c> commands print and save):
/// <code>
/// {
///   "image": "street.jpg", "width": 640, "height": 480,
///   "classes": ["person", "car"],
///   "detections": [
///     { "label": "car", "classIndex": 1, "score": 0.93, "box": [x0, y0, x1, y1],
///       "mask": { "left": 10, "top": 20, "width": 30, "height": 15, "runs": [0, 5, 12, ...] } }
///   ]
/// }
/// </code>
/// Boxes are xyxy in the image's pixels. A mask is stored as run lengths over its rectangle, row-major,
/// starting with a (possibly empty) run of background: background, object, background, ... pixels.
/// </summary>
public static class DetectionJson
{
    /// <summary>The JSON text of <paramref name="result"/>.</summary>
    /// <param name="result">The detections of one image.</param>
    /// <param name="indented">Whether to indent. Defaults to true.</param>
    public static string Serialize(ImageDetectionResult result, bool indented = true)
    {
        using var stream = new MemoryStream();
        Write(stream, result, indented);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes <paramref name="result"/> as UTF-8 JSON to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, ImageDetectionResult result, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(result);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented });
        writer.WriteStartObject();
        if (result.Image is null)
            writer.WriteNull("image");
        else
            writer.WriteString("image", result.Image);
        writer.WriteNumber("width", result.Width);
        writer.WriteNumber("height", result.Height);
        writer.WriteStartArray("classes");
        foreach (var name in result.ClassNames)
            writer.WriteStringValue(name);
        writer.WriteEndArray();
        writer.WriteStartArray("detections");
        var detections = result.Detections;
        for (int i = 0; i < detections.Count; i++)
        {
            var d = detections[i];
            writer.WriteStartObject();
            writer.WriteString("label", d.ClassIndex < result.ClassNames.Count ? result.ClassNames[d.ClassIndex] : d.ClassIndex.ToString(CultureInfo.InvariantCulture));
            writer.WriteNumber("classIndex", d.ClassIndex);
            writer.WriteNumber("score", d.Score);
            writer.WriteStartArray("box");
            writer.WriteNumberValue(d.X0);
            writer.WriteNumberValue(d.Y0);
            writer.WriteNumberValue(d.X1);
            writer.WriteNumberValue(d.Y1);
            writer.WriteEndArray();
            if (detections.Masks is { } masks)
                WriteMask(writer, masks[i]);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Writes <paramref name="result"/> to the file <paramref name="path"/>.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="result">The detections of one image.</param>
    /// <param name="overwrite">Whether an existing file may be replaced. Defaults to false (an existing file is an error).</param>
    public static void WriteFile(string path, ImageDetectionResult result, bool overwrite = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Internals.AtomicFile.Write(path, overwrite, file => Write(file, result));
    }

    /// <summary>Reads what <see cref="Serialize"/> wrote.</summary>
    /// <exception cref="InvalidDataException">The text is not such a document; the message names the field.</exception>
    public static ImageDetectionResult Deserialize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Detections JSON is not valid JSON: {ex.Message}", ex);
        }
        using (document)
            return Read(document.RootElement);
    }

    /// <summary>Reads the detections JSON file <paramref name="path"/>.</summary>
    public static ImageDetectionResult ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        try
        {
            return Deserialize(File.ReadAllText(path));
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"'{path}': {ex.Message}", ex);
        }
    }

    private static ImageDetectionResult Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"Detections JSON must be an object, got {root.ValueKind}.");
        string? image = root.TryGetProperty("image", out var imageElement) && imageElement.ValueKind == JsonValueKind.String ? imageElement.GetString() : null;
        int width = Int(root, "width");
        int height = Int(root, "height");
        var classes = Array(root, "classes").EnumerateArray().Select((c, i) => c.ValueKind == JsonValueKind.String
            ? c.GetString()! : throw new InvalidDataException($"classes[{i}] must be a string.")).ToArray();
        var items = Array(root, "detections").EnumerateArray().ToArray();
        var boxes = new float[4 * items.Length];
        var classIndices = new int[items.Length];
        var scores = new float[items.Length];
        var masks = new InstanceMask[items.Length];
        int withMasks = 0;
        for (int i = 0; i < items.Length; i++)
        {
            var item = items[i];
            string where = $"detections[{i}]";
            classIndices[i] = Int(item, "classIndex", where);
            if (classIndices[i] < 0 || (classes.Length > 0 && classIndices[i] >= classes.Length))
                throw new InvalidDataException($"{where}.classIndex must be in [0, {classes.Length}), got {classIndices[i]}.");
            scores[i] = (float)Number(item, "score", where);
            var box = Array(item, "box", where).EnumerateArray().ToArray();
            if (box.Length != 4)
                throw new InvalidDataException($"{where}.box must hold 4 numbers (x0, y0, x1, y1), got {box.Length}.");
            for (int k = 0; k < 4; k++)
                boxes[4 * i + k] = box[k].ValueKind == JsonValueKind.Number ? box[k].GetSingle() : throw new InvalidDataException($"{where}.box[{k}] must be a number.");
            if (item.TryGetProperty("mask", out var mask) && mask.ValueKind == JsonValueKind.Object)
            {
                masks[i] = ReadMask(mask, where + ".mask");
                withMasks++;
            }
        }
        if (withMasks != 0 && withMasks != items.Length)
            throw new InvalidDataException($"Either every detection has a mask or none does; {withMasks} of {items.Length} have one.");
        return new ImageDetectionResult(image, width, height, classes, new ObjectDetections(boxes, classIndices, scores, withMasks > 0 ? masks : null));
    }

    private static void WriteMask(Utf8JsonWriter writer, InstanceMask mask)
    {
        writer.WriteStartObject("mask");
        writer.WriteNumber("left", mask.Left);
        writer.WriteNumber("top", mask.Top);
        writer.WriteNumber("width", mask.Width);
        writer.WriteNumber("height", mask.Height);
        writer.WriteStartArray("runs");
        var pixels = mask.Pixels.Span;
        bool inObject = false;
        int run = 0;
        foreach (byte p in pixels)
        {
            if ((p != 0) != inObject)
            {
                writer.WriteNumberValue(run);
                inObject = !inObject;
                run = 0;
            }
            run++;
        }
        writer.WriteNumberValue(run);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static InstanceMask ReadMask(JsonElement mask, string where)
    {
        int left = Int(mask, "left", where), top = Int(mask, "top", where);
        int width = Int(mask, "width", where), height = Int(mask, "height", where);
        if (width < 0 || height < 0)
            throw new InvalidDataException($"{where} size must not be negative, got {width}x{height}.");
        var pixels = new byte[(long)width * height];
        long position = 0;
        bool inObject = false;
        foreach (var runElement in Array(mask, "runs", where).EnumerateArray())
        {
            if (runElement.ValueKind != JsonValueKind.Number || !runElement.TryGetInt32(out int run) || run < 0)
                throw new InvalidDataException($"{where}.runs must hold non-negative integers.");
            if (position + run > pixels.Length)
                throw new InvalidDataException($"{where}.runs cover more than the {width}x{height} mask.");
            if (inObject)
                pixels.AsSpan((int)position, run).Fill(1);
            position += run;
            inObject = !inObject;
        }
        if (position != pixels.Length)
            throw new InvalidDataException($"{where}.runs cover {position} pixels, the {width}x{height} mask has {pixels.Length}.");
        return new InstanceMask(left, top, width, height, pixels);
    }

    private static JsonElement Property(JsonElement owner, string name, string? where)
    {
        if (!owner.TryGetProperty(name, out var value))
            throw new InvalidDataException($"{Field(name, where)} is missing.");
        return value;
    }

    private static int Int(JsonElement owner, string name, string? where = null)
    {
        var value = Property(owner, name, where);
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int result)
            ? result : throw new InvalidDataException($"{Field(name, where)} must be an integer, got {value.GetRawText()}.");
    }

    private static double Number(JsonElement owner, string name, string? where = null)
    {
        var value = Property(owner, name, where);
        return value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw new InvalidDataException($"{Field(name, where)} must be a number, got {value.GetRawText()}.");
    }

    private static JsonElement Array(JsonElement owner, string name, string? where = null)
    {
        var value = Property(owner, name, where);
        return value.ValueKind == JsonValueKind.Array ? value : throw new InvalidDataException($"{Field(name, where)} must be an array, got {value.ValueKind}.");
    }

    private static string Field(string name, string? where) => where is null ? $"'{name}'" : $"'{where}.{name}'";
}
