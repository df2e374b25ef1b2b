using System.Text;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;

/// <summary>
/// Where a detector's class names come from: given in the options, a text file (one name per line, as
/// <c>coco.names</c>), or the model's metadata_props <c>names</c> as Ultralytics writes it
/// (<c>{0: 'person', 1: 'bicycle', ...}</c>, a Python dict's text) or a JSON array.
/// </summary>
internal static class ModelClassNames
{
    public const string MetadataKey = "names";

    /// <summary>Names from the options, else from the file, else from the metadata; else a clear error.</summary>
    /// <param name="names">Names given directly, or null.</param>
    /// <param name="file">A names file, or null.</param>
    /// <param name="metadata">The model's metadata_props.</param>
    /// <param name="modelName">The model, for messages.</param>
    /// <param name="classCount">The class count the model's output implies, or null when it does not say.</param>
    /// <param name="what">What the names are of, for messages (e.g. "classes", "labels (index 0 = background)").</param>
    public static string[] Resolve(IReadOnlyList<string>? names, string? file, IReadOnlyDictionary<string, string> metadata,
        string modelName, int? classCount, string what)
    {
        string[] resolved;
        string source;
        if (names is { Count: > 0 })
        {
            resolved = names.ToArray();
            source = "ClassNames";
        }
        else if (!string.IsNullOrWhiteSpace(file))
        {
            if (!File.Exists(file))
                throw new FileNotFoundException($"Class names file '{file}' not found.", file);
            resolved = File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
            if (resolved.Length == 0)
                throw new InvalidDataException($"Class names file '{file}' holds no names (expected one name per line).");
            source = $"class names file '{file}'";
        }
        else if (metadata.TryGetValue(MetadataKey, out var text))
        {
            resolved = Parse(text, modelName);
            source = $"the '{MetadataKey}' metadata of '{modelName}'";
        }
        else
        {
            throw new InvalidOperationException(
                $"Model '{modelName}' has no class names in its metadata (no '{MetadataKey}' entry): give them with ClassNames or ClassNamesFile (one name per line, for its {what}" +
                (classCount is { } n ? $", {n} expected" : "") + ").");
        }
        for (int i = 0; i < resolved.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(resolved[i]))
                throw new InvalidDataException($"Class name {i} from {source} is empty.");
        }
        if (classCount is { } count && count != resolved.Length)
            throw new InvalidDataException($"Model '{modelName}' predicts {count} {what}, but {source} has {resolved.Length} names.");
        return resolved;
    }

    /// <summary>Parses Ultralytics' <c>{0: 'person', 1: "it's"}</c> or a JSON array <c>["person", ...]</c>.</summary>
    public static string[] Parse(string text, string modelName)
    {
        text = text.Trim();
        var fail = () => new InvalidDataException(
            $"Model '{modelName}' has a '{MetadataKey}' metadata entry that is neither a Python dict {{0: 'name', ...}} nor a JSON array: '{Shorten(text)}'.");
        bool dict = text.StartsWith('{') && text.EndsWith('}');
        bool list = text.StartsWith('[') && text.EndsWith(']');
        if (!dict && !list)
            throw fail();
        var entries = new SortedDictionary<int, string>();
        int pos = 1, next = 0, end = text.Length - 1;
        while (true)
        {
            SkipSpace(text, ref pos);
            if (pos >= end)
                break;
            int index = next;
            if (dict)
            {
                int start = pos;
                while (pos < end && char.IsDigit(text[pos]))
                    pos++;
                if (start == pos || !int.TryParse(text.AsSpan(start, pos - start), out index))
                    throw fail();
                SkipSpace(text, ref pos);
                if (pos >= end || text[pos] != ':')
                    throw fail();
                pos++;
                SkipSpace(text, ref pos);
            }
            string name = ReadQuoted(text, ref pos, end) ?? throw fail();
            if (!entries.TryAdd(index, name))
                throw fail();
            next = index + 1;
            SkipSpace(text, ref pos);
            if (pos < end && text[pos] == ',')
                pos++;
            else if (pos < end)
                throw fail();
        }
        if (entries.Count == 0 || entries.Keys.First() != 0 || entries.Keys.Last() != entries.Count - 1)
            throw fail();
        return entries.Values.ToArray();
    }

    private static void SkipSpace(string text, ref int pos)
    {
        while (pos < text.Length && char.IsWhiteSpace(text[pos]))
            pos++;
    }

    private static string? ReadQuoted(string text, ref int pos, int end)
    {
        if (pos >= end || text[pos] is not ('\'' or '"'))
            return null;
        char quote = text[pos++];
        var name = new StringBuilder();
        while (pos < end && text[pos] != quote)
        {
            if (text[pos] == '\\' && pos + 1 < end)
                pos++;
            name.Append(text[pos++]);
        }
        if (pos >= end)
            return null;
        pos++;
        return name.ToString();
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";
}
