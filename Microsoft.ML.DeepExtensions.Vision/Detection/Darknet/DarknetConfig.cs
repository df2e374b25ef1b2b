using System.Text;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// A Darknet network description (<c>.cfg</c>): a <c>[net]</c> section with the input size, then one section
/// per layer. Keeps the text (comments included) so that it can be edited and written back with
/// <see cref="Save(string)"/> for Darknet to load; <see cref="DarknetNetwork"/> builds the TorchSharp network.
/// </summary>
/// <remarks>
/// Reading is stricter than Darknet's own parser, which skips what it does not understand: an unknown section
/// type, an unknown key in a layer section, a line that is not <c>key=value</c>, a key set twice and a value
/// that is not a number where one is needed are all refused with the file, the line and the key. The
/// <c>[net]</c> and <c>[yolo]</c> sections accept any key, because forks of Darknet add training settings
/// there (they do not change what the network computes), except the few that do change it.
/// </remarks>
public sealed class DarknetConfig
{
    // Keys that every layer section may carry (Darknet reads them in parse_network_cfg for all layers).
    private static readonly string[] CommonKeys =
        { "truth", "onlyforward", "stopbackward", "dontsave", "dontload", "numload", "dontloadscales", "learning_rate", "smooth" };

    // Keys Darknet's parse_* functions read for each layer type. Null: any key (training settings of forks).
    private static readonly Dictionary<DarknetLayerKind, string[]?> KnownKeys = new()
    {
        [DarknetLayerKind.Network] = null,
        [DarknetLayerKind.Yolo] = null,
        [DarknetLayerKind.Convolutional] = new[] { "filters", "size", "stride", "pad", "padding", "groups", "activation", "batch_normalize", "binary", "xnor", "flipped", "dot" },
        [DarknetLayerKind.Connected] = new[] { "output", "activation", "batch_normalize" },
        [DarknetLayerKind.MaxPool] = new[] { "size", "stride", "padding" },
        [DarknetLayerKind.AvgPool] = Array.Empty<string>(),
        [DarknetLayerKind.Route] = new[] { "layers", "groups", "group_id" },
        [DarknetLayerKind.Shortcut] = new[] { "from", "activation", "alpha", "beta" },
        [DarknetLayerKind.Upsample] = new[] { "stride", "scale" },
        [DarknetLayerKind.Dropout] = new[] { "probability" },
        [DarknetLayerKind.Softmax] = new[] { "groups", "temperature", "spatial", "noloss" },
        [DarknetLayerKind.Cost] = new[] { "type", "scale", "ratio", "noobj", "thresh" },
        [DarknetLayerKind.Crop] = new[] { "crop_height", "crop_width", "flip", "angle", "saturation", "exposure", "noadjust", "shift" },
    };

    private static readonly Dictionary<string, DarknetLayerKind> Headers = new(StringComparer.Ordinal)
    {
        ["[net]"] = DarknetLayerKind.Network, ["[network]"] = DarknetLayerKind.Network,
        ["[convolutional]"] = DarknetLayerKind.Convolutional, ["[conv]"] = DarknetLayerKind.Convolutional,
        ["[connected]"] = DarknetLayerKind.Connected, ["[conn]"] = DarknetLayerKind.Connected,
        ["[maxpool]"] = DarknetLayerKind.MaxPool, ["[max]"] = DarknetLayerKind.MaxPool,
        ["[avgpool]"] = DarknetLayerKind.AvgPool, ["[avg]"] = DarknetLayerKind.AvgPool,
        ["[route]"] = DarknetLayerKind.Route,
        ["[shortcut]"] = DarknetLayerKind.Shortcut,
        ["[upsample]"] = DarknetLayerKind.Upsample,
        ["[yolo]"] = DarknetLayerKind.Yolo,
        ["[dropout]"] = DarknetLayerKind.Dropout,
        ["[softmax]"] = DarknetLayerKind.Softmax, ["[soft]"] = DarknetLayerKind.Softmax,
        ["[cost]"] = DarknetLayerKind.Cost,
        ["[crop]"] = DarknetLayerKind.Crop,
    };

    private readonly List<string> _preamble;
    private readonly List<DarknetSection> _layers;

    private DarknetConfig(string source, List<string> preamble, DarknetSection network, List<DarknetSection> layers)
    {
        Source = source;
        _preamble = preamble;
        Network = network;
        _layers = layers;
    }

    /// <summary>The file the config was read from (or the name given to <see cref="Parse"/>), for messages.</summary>
    public string Source { get; }

    /// <summary>The <c>[net]</c> section: input size and training settings.</summary>
    public DarknetSection Network { get; }

    /// <summary>The layer sections in order; a section's index here is its Darknet layer index (used by <c>[route]</c> and <c>[shortcut]</c>).</summary>
    public IReadOnlyList<DarknetSection> Layers => _layers;

    /// <summary>The network's input width in pixels (<c>width=</c> of <c>[net]</c>).</summary>
    public int Width => RequirePositive(Network, "width");

    /// <summary>The network's input height in pixels (<c>height=</c> of <c>[net]</c>).</summary>
    public int Height => RequirePositive(Network, "height");

    /// <summary>The network's input channels (<c>channels=</c> of <c>[net]</c>).</summary>
    public int Channels => RequirePositive(Network, "channels");

    /// <summary>Reads a cfg file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DarknetFormatException">The file breaks a rule; the message names the file, the line and the key.</exception>
    public static DarknetConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Darknet cfg file '{path}' does not exist.", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Reads cfg text; <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="DarknetFormatException">The text breaks a rule; the message names the source, the line and the key.</exception>
    public static DarknetConfig Parse(string text, string source = "<cfg>")
    {
        ArgumentNullException.ThrowIfNull(text);
        var preamble = new List<string>();
        var sections = new List<DarknetSection>();
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int number = i + 1;
            string raw = lines[i].TrimEnd('\r');
            // Darknet removes every whitespace character of a line before reading it.
            string line = string.Concat(raw.Where(c => !char.IsWhiteSpace(c)));
            if (line.Length == 0 || line[0] == '#' || line[0] == ';')
            {
                if (i == lines.Length - 1 && raw.Length == 0)
                    break; // the newline that ends the last line
                if (sections.Count == 0)
                    preamble.Add(raw);
                else
                    sections[^1].AddComment(raw);
                continue;
            }

            if (line[0] == '[')
            {
                if (!Headers.TryGetValue(line, out var kind))
                {
                    throw new DarknetFormatException(
                        $"{source}:{number}: unknown section type {line}; supported: {string.Join(", ", Headers.Keys.Order(StringComparer.Ordinal))}.");
                }

                sections.Add(new DarknetSection(line, raw, kind, source, number));
                continue;
            }

            int equals = line.IndexOf('=');
            if (equals <= 0 || equals == line.Length - 1)
                throw new DarknetFormatException($"{source}:{number}: expected 'key=value', got '{raw.Trim()}'.");
            if (sections.Count == 0)
                throw new DarknetFormatException($"{source}:{number}: option '{line[..equals]}' before the first [section].");
            sections[^1].AddOption(line[..equals], line[(equals + 1)..], raw, number);
        }

        if (sections.Count == 0)
            throw new DarknetFormatException($"{source}: no sections; a Darknet cfg starts with [net].");
        if (sections[0].Kind != DarknetLayerKind.Network)
            throw new DarknetFormatException($"{source}:{sections[0].Line}: the first section must be [net] or [network], got {sections[0].Header}.");
        foreach (var section in sections.Skip(1))
        {
            if (section.Kind == DarknetLayerKind.Network)
                throw new DarknetFormatException($"{source}:{section.Line}: a second {section.Header} section; only the first section may be [net].");
            CheckKeys(section);
        }

        if (sections.Count == 1)
            throw new DarknetFormatException($"{source}: no layers after [net].");
        return new DarknetConfig(source, preamble, sections[0], sections.Skip(1).ToList());
    }

    /// <summary>
    /// Writes the cfg to <paramref name="path"/>: the text as read (comments, spacing, option order), with changed options
    /// rewritten in place as <c>key=value</c> and new options at the end of their section.
    /// </summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllText(path, ToText());
    }

    /// <summary>The cfg text that <see cref="Save(string)"/> writes.</summary>
    public string ToText()
    {
        using var writer = new StringWriter { NewLine = "\n" };
        foreach (var line in _preamble)
            writer.WriteLine(line);
        Network.WriteTo(writer);
        foreach (var section in _layers)
            section.WriteTo(writer);
        return writer.ToString();
    }

    /// <summary>A deep copy, so a cfg can be changed (classes, anchors, size) without touching the original.</summary>
    public DarknetConfig Clone() => Parse(ToText(), Source);

    /// <summary>Sets the input size of <c>[net]</c>: <c>width=</c>, <c>height=</c> and, when given, <c>channels=</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public void SetInputSize(int width, int height, int? channels = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        Network.Set("width", width);
        Network.Set("height", height);
        if (channels is { } c)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(c, nameof(channels));
            Network.Set("channels", c);
        }
    }

    /// <summary>What each <c>[yolo]</c> section says, in cfg order; empty for a classification cfg.</summary>
    /// <exception cref="DarknetFormatException">A <c>[yolo]</c> section has malformed anchors or a mask index outside them.</exception>
    public IReadOnlyList<DarknetYoloSettings> GetYoloLayers()
    {
        var result = new List<DarknetYoloSettings>();
        for (int i = 0; i < _layers.Count; i++)
        {
            var section = _layers[i];
            if (section.Kind != DarknetLayerKind.Yolo)
                continue;
            int classes = section.GetInt("classes", 20);
            if (classes < 1)
                throw section.Error("classes", $"'classes' must be at least 1, got {classes}.");
            int num = section.GetInt("num", 1);
            var flat = section.GetFloats("anchors") ?? Enumerable.Repeat(0.5f, 2 * num).ToArray(); // Darknet's make_yolo_layer default
            if (flat.Length % 2 != 0)
                throw section.Error("anchors", $"'anchors' must hold (width, height) pairs, got {flat.Length} numbers.");
            if (flat.Any(v => v <= 0))
                throw section.Error("anchors", "'anchors' must be positive.");
            var anchors = Enumerable.Range(0, flat.Length / 2).Select(a => (flat[2 * a], flat[2 * a + 1])).ToArray();
            if (anchors.Length != num)
                throw section.Error("anchors", $"'num={num}' but 'anchors' holds {anchors.Length} (width, height) pairs.");
            var mask = section.GetInts("mask") ?? Enumerable.Range(0, num).ToArray();
            foreach (int m in mask)
            {
                if (m < 0 || m >= anchors.Length)
                    throw section.Error("mask", $"'mask' index {m} is outside the {anchors.Length} anchors.");
            }

            if (section.GetInt("new_coords", 0) != 0)
                throw section.Error("new_coords", "'new_coords=1' (Scaled-YOLOv4's decode) is not supported.");
            result.Add(new DarknetYoloSettings(
                i, classes, anchors, mask,
                section.GetFloat("ignore_thresh", 0.5f),
                section.GetFloat("truth_thresh", 1f),
                section.GetFloat("scale_x_y", 1f),
                section.GetFloat("jitter", 0.2f)));
        }

        return result;
    }

    /// <summary>
    /// Sets the number of classes of every <c>[yolo]</c> section (<c>classes=</c>) and the <c>filters=</c> of the
    /// convolution right before each one to <c>(classes + 5) x len(mask)</c>, the edit Darknet's documentation
    /// asks for when training on a new data set.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is below 1.</exception>
    /// <exception cref="DarknetFormatException">The cfg has no <c>[yolo]</c> section, or one is not preceded by a <c>[convolutional]</c>.</exception>
    public void SetClassCount(int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        var yolo = RequireYoloLayers();
        foreach (var settings in yolo)
            _layers[settings.LayerIndex].Set("classes", classes);
        UpdateHeadFilters();
    }

    /// <summary>
    /// Sets the anchors (width, height in network-input pixels) of every <c>[yolo]</c> section: <c>anchors=</c> and
    /// <c>num=</c>; with <paramref name="masks"/> (one list per <c>[yolo]</c> section, in cfg order) also <c>mask=</c>,
    /// and the head convolutions' <c>filters=</c> follow the new mask sizes.
    /// </summary>
    /// <exception cref="ArgumentException">No anchors, a non-positive size, a mask count that differs from the
    /// <c>[yolo]</c> sections, or a mask index outside the anchors.</exception>
    /// <exception cref="DarknetFormatException">The cfg has no <c>[yolo]</c> section, or a head is not preceded by a convolution.</exception>
    public void SetAnchors(IReadOnlyList<(float Width, float Height)> anchors, IReadOnlyList<IReadOnlyList<int>>? masks = null)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        if (anchors.Count == 0 || anchors.Any(a => !(a.Width > 0) || !(a.Height > 0) || !float.IsFinite(a.Width) || !float.IsFinite(a.Height)))
            throw new ArgumentException("Anchors must be a non-empty list of positive, finite (width, height) pairs.", nameof(anchors));
        var yolo = RequireYoloLayers();
        if (masks is not null && masks.Count != yolo.Count)
            throw new ArgumentException($"{masks.Count} masks given for the {yolo.Count} [yolo] sections of {Source}.", nameof(masks));
        for (int y = 0; y < yolo.Count; y++)
        {
            var mask = masks?[y] ?? yolo[y].Mask;
            if (mask.Count == 0 || mask.Any(m => m < 0 || m >= anchors.Count))
            {
                throw new ArgumentException(
                    $"The mask {string.Join(",", mask)} of the [yolo] section on line {_layers[yolo[y].LayerIndex].Line} does not index the {anchors.Count} anchors.",
                    nameof(masks));
            }
        }

        for (int y = 0; y < yolo.Count; y++)
        {
            var section = _layers[yolo[y].LayerIndex];
            section.Set("anchors", anchors.SelectMany(a => new[] { a.Width, a.Height }));
            section.Set("num", anchors.Count);
            if (masks is not null)
                section.Set("mask", masks[y]);
        }

        UpdateHeadFilters();
    }

    public override string ToString() => $"{Source}: {_layers.Count} layers, input {Width}x{Height}x{Channels}";

    private IReadOnlyList<DarknetYoloSettings> RequireYoloLayers()
    {
        var yolo = GetYoloLayers();
        if (yolo.Count == 0)
            throw new DarknetFormatException($"{Source}: the cfg has no [yolo] section.");
        return yolo;
    }

    private void UpdateHeadFilters()
    {
        foreach (var settings in GetYoloLayers())
        {
            var yolo = _layers[settings.LayerIndex];
            if (settings.LayerIndex == 0 || _layers[settings.LayerIndex - 1].Kind != DarknetLayerKind.Convolutional)
                throw yolo.Error("must follow a [convolutional] section, whose filters= it sets.");
            _layers[settings.LayerIndex - 1].Set("filters", settings.Channels);
        }
    }

    private static int RequirePositive(DarknetSection section, string key)
    {
        int value = section.GetInt(key, 0);
        if (value <= 0)
            throw section.Error(key, $"'{key}' must be set to a positive integer, got {(section.Contains(key) ? value.ToString(System.Globalization.CultureInfo.InvariantCulture) : "nothing")}.");
        return value;
    }

    private static void CheckKeys(DarknetSection section)
    {
        var known = KnownKeys[section.Kind];
        if (known is null)
            return;
        foreach (var key in section.Keys)
        {
            if (!known.Contains(key) && !CommonKeys.Contains(key))
            {
                var valid = new StringBuilder().AppendJoin(", ", known.Concat(CommonKeys));
                throw section.Error(key, $"unknown key '{key}'; {section.Header} takes: {valid}.");
            }
        }
    }
}
