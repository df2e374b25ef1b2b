using System.Globalization;
using System.Reflection;
using System.Text;

namespace Microsoft.ML.DeepExtensions.Internals;

/// <summary>
/// The text form of every activation, loss, optimizer and schedule: <c>name</c> or
/// <c>name:key=value,key=value</c>, such as <c>leaky-relu:slope=0.2</c> or
/// <c>momentum:momentum=0.95,nesterov=true</c>.
/// </summary>
/// <remarks>
/// A block's public constructor parameters are its hyperparameters, each optional and each exposed
/// as the property of the same name; a key is the parameter name in kebab-case
/// (<c>learningRate</c> → <c>learning-rate</c>), matched ignoring case and hyphens. Values are
/// invariant-culture numbers or <c>true</c>/<c>false</c>. Binding by reflection, as ML.NET's own
/// command-line arguments do, keeps the parser and printer in this one place.
/// </remarks>
internal static class BuildingBlockSpec
{
    /// <summary>Splits <paramref name="spec"/> into its name and its <c>key=value</c> pairs, in order.</summary>
    /// <param name="spec">The spec, such as <c>leaky-relu:slope=0.2</c>.</param>
    /// <param name="kind">What the spec describes, for messages: <c>activation</c>, <c>loss</c>, …</param>
    public static (string Name, IReadOnlyList<KeyValuePair<string, string>> Arguments) Parse(string spec, string kind)
    {
        ArgumentNullException.ThrowIfNull(spec);
        int colon = spec.IndexOf(':');
        var name = (colon < 0 ? spec : spec[..colon]).Trim();
        var arguments = new List<KeyValuePair<string, string>>();
        if (colon < 0)
            return (name, arguments);
        foreach (var part in spec[(colon + 1)..].Split(','))
        {
            int equals = part.IndexOf('=');
            var key = equals < 0 ? "" : part[..equals].Trim();
            var value = equals < 0 ? "" : part[(equals + 1)..].Trim();
            if (key.Length == 0 || value.Length == 0)
                throw new ArgumentException($"Argument '{part.Trim()}' in {kind} spec '{spec}' is not of the form key=value.", nameof(spec));
            if (arguments.Any(a => Normalize(a.Key) == Normalize(key)))
                throw new ArgumentException($"Key '{key}' appears twice in {kind} spec '{spec}'.", nameof(spec));
            arguments.Add(new(key, value));
        }
        return (name, arguments);
    }

    /// <summary>
    /// Creates a <paramref name="type"/>: each argument sets the constructor parameter of its key;
    /// a parameter named in <paramref name="fallbacks"/> and not in the spec takes that value; the
    /// others keep their defaults. Constructor errors (out-of-range values) pass through unwrapped.
    /// </summary>
    public static T Create<T>(Type type, string name, IReadOnlyList<KeyValuePair<string, string>> arguments, string spec, string kind,
        IReadOnlyDictionary<string, object>? fallbacks = null)
    {
        var constructor = Constructor(type);
        var parameters = constructor.GetParameters();
        var values = parameters.Select(p => fallbacks?.GetValueOrDefault(p.Name!) ?? p.DefaultValue).ToArray();
        foreach (var (key, text) in arguments)
        {
            int index = Array.FindIndex(parameters, p => Normalize(p.Name!) == Normalize(key));
            if (index < 0)
            {
                var valid = parameters.Length == 0 ? $"none, '{name}' takes no arguments" : string.Join(", ", parameters.Select(p => Kebab(p.Name!)));
                throw new ArgumentException($"Unknown key '{key}' for {kind} '{name}' in spec '{spec}'. Valid keys: {valid}.", nameof(spec));
            }
            var value = Convert(parameters[index].ParameterType, key, text, kind, spec);
            if (fallbacks?.GetValueOrDefault(parameters[index].Name!) is { } fallback && !fallback.Equals(value))
                throw new ArgumentException($"The {kind} spec '{spec}' sets {key}={text}, which conflicts with the {Kebab(parameters[index].Name!)} {Text(fallback)} given separately. Set it in one place.", nameof(spec));
            values[index] = value;
        }
        return (T)constructor.Invoke(BindingFlags.DoNotWrapExceptions, binder: null, values, CultureInfo.InvariantCulture);
    }

    /// <summary>The canonical spec of <paramref name="block"/>: its name, then each hyperparameter that differs from its default.</summary>
    public static string Format(IBuildingBlock block)
    {
        var text = new StringBuilder(block.Name);
        char separator = ':';
        foreach (var parameter in Constructor(block.GetType()).GetParameters())
        {
            var property = block.GetType().GetProperty(parameter.Name!, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)
                ?? throw new InvalidOperationException($"{block.GetType().Name} has no property for its constructor parameter '{parameter.Name}'.");
            var value = property.GetValue(block)!;
            if (!value.Equals(parameter.DefaultValue))
            {
                text.Append(separator).Append(Kebab(parameter.Name!)).Append('=').Append(Text(value));
                separator = ',';
            }
        }
        return text.ToString();
    }

    /// <summary><c>learningRate</c> → <c>learning-rate</c>.</summary>
    public static string Kebab(string parameterName) =>
        string.Concat(parameterName.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    private static string Normalize(string key) => key.Replace("-", "").ToLowerInvariant();

    private static ConstructorInfo Constructor(Type type) =>
        type.GetConstructors() is [var constructor] && constructor.GetParameters().All(p => p.HasDefaultValue)
            ? constructor
            : throw new InvalidOperationException($"{type.Name} must have exactly one public constructor, with a default for every parameter.");

    private static object Convert(Type type, string key, string text, string kind, string spec)
    {
        var (value, expected) = Type.GetTypeCode(type) switch
        {
            TypeCode.Double => (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : (object?)null, "a finite number"),
            TypeCode.Int32 => (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : null, "an integer"),
            TypeCode.Boolean => (bool.TryParse(text, out var b) ? b : null, "true or false"),
            _ => throw new NotSupportedException($"Hyperparameters of type {type.Name} have no spec form."),
        };
        return value ?? throw new ArgumentException($"Value '{text}' of key '{key}' in {kind} spec '{spec}' is not valid: expected {expected}.", nameof(spec));
    }

    private static string Text(object value) => value switch
    {
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString()!,
    };
}
