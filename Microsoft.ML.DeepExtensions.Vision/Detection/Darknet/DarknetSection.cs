using System.Globalization;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// One <c>[section]</c> of a Darknet <c>.cfg</c>: its kind and its <c>key=value</c> options in file order,
/// with the comment lines around them kept so that <see cref="DarknetConfig.Save(string)"/> writes the
/// file back as it was, apart from the options changed through <see cref="Set(string, string)"/>.
/// </summary>
/// <remarks>
/// Values are read the strict way: where Darknet's <c>atoi</c> would turn <c>filters=25S</c> into 25, the
/// typed getters refuse it with the file, the line and the key. Whitespace anywhere in a line is ignored,
/// as Darknet strips it before parsing.
/// </remarks>
public sealed class DarknetSection
{
    // Either a comment/blank line (Key null) or an option. Kept in file order for Save; Raw is the line as read, written
    // back while the option is unchanged so that a saved cfg differs from its source only where it was edited.
    private sealed class Entry
    {
        public string? Key;
        public string Text = "";
        public string? Raw;
        public int Line;
    }

    private readonly List<Entry> _entries = new();

    private readonly string _rawHeader;

    internal DarknetSection(string header, string rawHeader, DarknetLayerKind kind, string source, int line)
    {
        _rawHeader = rawHeader;
        Header = header;
        Kind = kind;
        Source = source;
        Line = line;
    }

    /// <summary>The header as written, e.g. <c>[convolutional]</c> or its alias <c>[conv]</c>.</summary>
    public string Header { get; }

    /// <summary>The section's type.</summary>
    public DarknetLayerKind Kind { get; }

    /// <summary>The file (or the name given to <see cref="DarknetConfig.Parse"/>) the section was read from, for messages.</summary>
    public string Source { get; }

    /// <summary>1-based line of the header in <see cref="Source"/>; 0 for a section added in code.</summary>
    public int Line { get; }

    /// <summary>The option keys in file order.</summary>
    public IEnumerable<string> Keys => _entries.Where(e => e.Key is not null).Select(e => e.Key!);

    /// <summary>Whether the section sets <paramref name="key"/>.</summary>
    public bool Contains(string key) => Find(key) is not null;

    /// <summary>The raw value of <paramref name="key"/> (whitespace removed), or <see langword="null"/> when the section does not set it.</summary>
    public string? Get(string key) => Find(key)?.Text;

    /// <summary>The integer value of <paramref name="key"/>, or <paramref name="defaultValue"/> when the section does not set it.</summary>
    /// <exception cref="DarknetFormatException">The value is not an integer.</exception>
    public int GetInt(string key, int defaultValue)
    {
        var entry = Find(key);
        if (entry is null)
            return defaultValue;
        if (!int.TryParse(entry.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
            throw Error(entry, $"'{key}' must be an integer, got '{entry.Text}'.");
        return value;
    }

    /// <summary>The number value of <paramref name="key"/>, or <paramref name="defaultValue"/> when the section does not set it.</summary>
    /// <exception cref="DarknetFormatException">The value is not a number.</exception>
    public float GetFloat(string key, float defaultValue)
    {
        var entry = Find(key);
        if (entry is null)
            return defaultValue;
        if (!float.TryParse(entry.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) || !float.IsFinite(value))
            throw Error(entry, $"'{key}' must be a number, got '{entry.Text}'.");
        return value;
    }

    /// <summary>The comma-separated integers of <paramref name="key"/>, or <see langword="null"/> when the section does not set it.</summary>
    /// <exception cref="DarknetFormatException">An item is not an integer.</exception>
    public int[]? GetInts(string key)
    {
        var entry = Find(key);
        if (entry is null)
            return null;
        return SplitList(entry).Select(item => int.TryParse(item, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw Error(entry, $"'{key}' must be a comma-separated list of integers, got '{entry.Text}'.")).ToArray();
    }

    /// <summary>The comma-separated numbers of <paramref name="key"/>, or <see langword="null"/> when the section does not set it.</summary>
    /// <exception cref="DarknetFormatException">An item is not a number.</exception>
    public float[]? GetFloats(string key)
    {
        var entry = Find(key);
        if (entry is null)
            return null;
        return SplitList(entry).Select(item => float.TryParse(item, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) && float.IsFinite(value)
            ? value
            : throw Error(entry, $"'{key}' must be a comma-separated list of numbers, got '{entry.Text}'.")).ToArray();
    }

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>: in place when the section has it, else as a new last option.</summary>
    /// <exception cref="ArgumentException">The key or the value is empty, or holds whitespace, '=' or a line break.</exception>
    public void Set(string key, string value)
    {
        CheckToken(key, nameof(key));
        CheckToken(value, nameof(value));
        var entry = Find(key);
        if (entry is not null)
        {
            if (entry.Text != value)
            {
                entry.Text = value;
                entry.Raw = null;
            }

            return;
        }

        // After the last option, so that comments closing the section stay where they were.
        int last = _entries.FindLastIndex(e => e.Key is not null);
        _entries.Insert(last + 1, new Entry { Key = key, Text = value });
    }

    /// <summary>Sets <paramref name="key"/> to an integer.</summary>
    public void Set(string key, int value) => Set(key, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>Sets <paramref name="key"/> to a number, written in its shortest round-trip form.</summary>
    public void Set(string key, float value) => Set(key, value.ToString("R", CultureInfo.InvariantCulture));

    /// <summary>Sets <paramref name="key"/> to a comma-separated list of numbers (e.g. <c>anchors=10,13, 16,30</c>).</summary>
    public void Set(string key, IEnumerable<float> values) =>
        Set(key, string.Join(",", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));

    /// <summary>Sets <paramref name="key"/> to a comma-separated list of integers (e.g. <c>mask=0,1,2</c>).</summary>
    public void Set(string key, IEnumerable<int> values) =>
        Set(key, string.Join(",", values.Select(v => v.ToString(CultureInfo.InvariantCulture))));

    /// <summary>Removes <paramref name="key"/>; returns whether the section had it.</summary>
    public bool Remove(string key)
    {
        var entry = Find(key);
        return entry is not null && _entries.Remove(entry);
    }

    /// <summary>"file:line: [header] message", the form of every error about this section.</summary>
    public DarknetFormatException Error(string message) => new($"{Source}:{Line}: {Header} {message}");

    /// <summary>An error about the option <paramref name="key"/>, naming its own line.</summary>
    public DarknetFormatException Error(string key, string message)
    {
        var entry = Find(key);
        return entry is null ? Error(message) : Error(entry, message);
    }

    public override string ToString() => $"{Header} (line {Line})";

    internal void AddOption(string key, string value, string raw, int line)
    {
        var existing = Find(key);
        if (existing is not null)
            throw new DarknetFormatException($"{Source}:{line}: {Header} sets '{key}' twice (first on line {existing.Line}); Darknet would silently use the first.");
        _entries.Add(new Entry { Key = key, Text = value, Raw = raw, Line = line });
    }

    internal void AddComment(string text) => _entries.Add(new Entry { Text = text, Raw = text });

    internal void WriteTo(TextWriter writer)
    {
        writer.WriteLine(_rawHeader);
        foreach (var entry in _entries)
            writer.WriteLine(entry.Raw ?? $"{entry.Key}={entry.Text}");
    }

    private Entry? Find(string key) => _entries.Find(e => e.Key == key);

    private DarknetFormatException Error(Entry entry, string message) =>
        new($"{Source}:{(entry.Line > 0 ? entry.Line : Line)}: {Header} {message}");

    private static IEnumerable<string> SplitList(Entry entry)
    {
        // Darknet tolerates a trailing comma ("mask=0,1,2,"); so do we. An empty item inside is an error.
        var items = entry.Text.Split(',');
        int count = items.Length > 1 && items[^1].Length == 0 ? items.Length - 1 : items.Length;
        return items.Take(count);
    }

    private static void CheckToken(string text, string name)
    {
        ArgumentNullException.ThrowIfNull(text, name);
        if (text.Length == 0 || text.Any(c => char.IsWhiteSpace(c) || c == '='))
            throw new ArgumentException($"A Darknet cfg {name} must be non-empty without whitespace or '=', got '{text}'.", name);
    }
}
