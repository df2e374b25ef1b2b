namespace Microsoft.ML.DeepExtensions.Internals;

/// <summary>
/// The blocks of one kind (activations, losses, …) by name: <see cref="Get"/> turns a spec into a
/// configured block, and unknown names list the valid ones.
/// </summary>
/// <typeparam name="T">The kind's base class.</typeparam>
internal sealed class BuildingBlockRegistry<T>
    where T : class, IBuildingBlock
{
    private readonly string _kind;

    /// <param name="kind">The kind, for messages: <c>activation</c>, <c>loss</c>, …</param>
    /// <param name="defaults">One default-configured instance of each block, in the order <see cref="Names"/> lists them.</param>
    public BuildingBlockRegistry(string kind, params T[] defaults)
    {
        _kind = kind;
        Defaults = defaults;
        Names = defaults.Select(block => block.Name).ToArray();
    }

    /// <summary>Every registered name.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Every block in its default configuration.</summary>
    public IReadOnlyList<T> Defaults { get; }

    /// <summary>Parses <paramref name="spec"/> (see <see cref="BuildingBlockSpec"/>); names match ignoring case.</summary>
    /// <param name="spec">The spec, such as <c>leaky-relu:slope=0.2</c>.</param>
    /// <param name="fallbacks">Values for constructor parameters (by C# name) that the spec leaves out.</param>
    public T Get(string spec, IReadOnlyDictionary<string, object>? fallbacks = null)
    {
        var (name, arguments) = BuildingBlockSpec.Parse(spec, _kind);
        var block = Defaults.FirstOrDefault(b => b.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException(name.Length == 0
                ? $"The {_kind} spec is empty. Valid names: {string.Join(", ", Names)}."
                : $"Unknown {_kind} '{name}'. Valid names: {string.Join(", ", Names)}.", nameof(spec));
        return BuildingBlockSpec.Create<T>(block.GetType(), block.Name, arguments, spec, _kind, fallbacks);
    }
}
