using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Microsoft.ML.DeepExtensions.Vision.Data.Detection;

/// <summary>
/// The <c>data.yaml</c> of an Ultralytics/YOLO data set: its root folder (<c>path</c>), the image sources of each
/// split (<c>train</c>, <c>val</c>, <c>test</c>: a folder, a text file listing images, or a list of those) and the
/// class names (<c>names</c> as a list or a map from index to name, and/or <c>nc</c>).
/// </summary>
internal sealed class YoloDataYaml
{
    private readonly YamlMappingNode _root;

    private YoloDataYaml(string path, YamlMappingNode root)
    {
        Path = path;
        _root = root;
        Root = RootFolder();
        ClassNames = Names();
    }

    /// <summary>The data.yaml file, absolute.</summary>
    public string Path { get; }

    /// <summary>
    /// The folder split paths are relative to: <c>path</c>, itself relative to the data.yaml's folder (Ultralytics
    /// resolves a relative <c>path</c> against its own datasets folder; a data set shipped with its yaml means its
    /// own folder), or the data.yaml's folder when there is no <c>path</c>.
    /// </summary>
    public string Root { get; }

    public IReadOnlyList<string> ClassNames { get; }

    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">It is not valid YAML, not a mapping, or its names/nc are invalid; the message names the file and line.</exception>
    public static YoloDataYaml Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var file = System.IO.Path.GetFullPath(path);
        if (!File.Exists(file))
            throw new FileNotFoundException($"YOLO data file '{file}' not found.", file);
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(file);
            stream.Load(reader);
        }
        catch (YamlException ex)
        {
            throw new InvalidDataException($"'{file}' line {ex.Start.Line}: not valid YAML: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet's scanner fails this way on some malformed input (e.g. an unclosed flow collection), without a position.
            throw new InvalidDataException($"'{file}': not valid YAML (the parser stopped on malformed input, e.g. an unclosed [ or {{).", ex);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new InvalidDataException($"'{file}' must hold a YAML mapping with train, val, test, names and nc keys.");
        return new YoloDataYaml(file, root);
    }

    /// <summary>The image files of a split, in order: each source folder's images (recursively, sorted), or a list file's lines.</summary>
    /// <exception cref="InvalidDataException">The split is not in the file, or is not a path or list of paths.</exception>
    /// <exception cref="FileNotFoundException">A source folder or list file does not exist.</exception>
    public IReadOnlyList<string> Images(string split)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(split);
        if (!_root.Children.TryGetValue(new YamlScalarNode(split), out var node) || node is YamlScalarNode { Value: null or "" })
        {
            var splits = new[] { "train", "val", "test" }.Where(s => _root.Children.ContainsKey(new YamlScalarNode(s)));
            throw new InvalidDataException($"'{Path}' has no '{split}' split; it has {string.Join(", ", splits.Select(s => $"'{s}'"))}.");
        }
        var sources = node switch
        {
            YamlScalarNode scalar => new[] { scalar.Value! },
            YamlSequenceNode sequence when sequence.Children.All(c => c is YamlScalarNode) => sequence.Children.Select(c => ((YamlScalarNode)c).Value ?? "").ToArray(),
            _ => throw new InvalidDataException($"'{Path}' line {node.Start.Line}: '{split}' must be a path or a list of paths."),
        };
        var images = new List<string>();
        foreach (var source in sources)
        {
            var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(Root, source));
            if (Directory.Exists(full))
            {
                images.AddRange(Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories)
                    .Where(f => ImageFolder.ImageExtensions.Contains(System.IO.Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal));
            }
            else if (File.Exists(full))
            {
                // A list file: one image per line, relative paths relative to the list's folder.
                var folder = System.IO.Path.GetDirectoryName(full)!;
                images.AddRange(File.ReadLines(full).Select(l => l.Trim()).Where(l => l.Length > 0)
                    .Select(l => System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, l))));
            }
            else
            {
                throw new FileNotFoundException($"'{Path}': the '{split}' split's images '{full}' are neither a folder nor a list file.", full);
            }
        }
        return images;
    }

    private string RootFolder()
    {
        var folder = System.IO.Path.GetDirectoryName(Path)!;
        return Scalar("path") is { Length: > 0 } root ? System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, root)) : folder;
    }

    private IReadOnlyList<string> Names()
    {
        int? count = null;
        if (_root.Children.TryGetValue(new YamlScalarNode("nc"), out var ncNode))
        {
            if (ncNode is not YamlScalarNode { Value: { } nc } || !int.TryParse(nc, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value <= 0)
                throw new InvalidDataException($"'{Path}' line {ncNode.Start.Line}: nc must be a positive integer, got '{(ncNode as YamlScalarNode)?.Value}'.");
            count = value;
        }
        string[]? names = null;
        if (_root.Children.TryGetValue(new YamlScalarNode("names"), out var namesNode))
        {
            names = namesNode switch
            {
                YamlSequenceNode list => list.Children.Select((c, i) => Name(c, $"names[{i}]")).ToArray(),
                YamlMappingNode map => NamesFromMap(map),
                _ => throw new InvalidDataException($"'{Path}' line {namesNode.Start.Line}: names must be a list of class names or a map from class index to name."),
            };
            if (names.Length == 0)
                throw new InvalidDataException($"'{Path}' line {namesNode.Start.Line}: names is empty.");
        }
        if (names is null)
        {
            return count is { } n
                ? Enumerable.Range(0, n).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray()
                : throw new InvalidDataException($"'{Path}' has neither names nor nc; the classes are unknown.");
        }
        if (count is { } expected && expected != names.Length)
            throw new InvalidDataException($"'{Path}': nc is {expected} but names holds {names.Length} classes.");
        var duplicate = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidDataException($"'{Path}': class name '{duplicate.Key}' is given more than once; class names must be distinct.");
        return names;
    }

    private string[] NamesFromMap(YamlMappingNode map)
    {
        var byIndex = new SortedDictionary<int, string>();
        foreach (var (key, value) in map.Children)
        {
            if (key is not YamlScalarNode { Value: { } text } || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                throw new InvalidDataException($"'{Path}' line {key.Start.Line}: names' keys must be class indices 0, 1, ..., got '{(key as YamlScalarNode)?.Value}'.");
            if (!byIndex.TryAdd(index, Name(value, $"names[{index}]")))
                throw new InvalidDataException($"'{Path}' line {key.Start.Line}: class index {index} is named twice.");
        }
        for (int i = 0; i < byIndex.Count; i++)
        {
            if (!byIndex.ContainsKey(i))
                throw new InvalidDataException($"'{Path}': names has no class {i}; class indices must run 0 to {byIndex.Count - 1} without gaps.");
        }
        return byIndex.Values.ToArray();
    }

    private string Name(YamlNode node, string what) =>
        node is YamlScalarNode { Value: { } value } && !string.IsNullOrWhiteSpace(value)
            ? value
            : throw new InvalidDataException($"'{Path}' line {node.Start.Line}: {what} must be a non-empty class name.");

    private string? Scalar(string key) =>
        _root.Children.TryGetValue(new YamlScalarNode(key), out var node) ? (node as YamlScalarNode)?.Value : null;
}
