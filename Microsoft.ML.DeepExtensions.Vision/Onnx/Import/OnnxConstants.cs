namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Import;

/// <summary>
/// What a node can read when the graph is imported: the values of initializers and <c>Constant</c>
/// nodes (for shapes, pads, scales), the operator-set version, and initializer shapes (for checks).
/// </summary>
internal sealed class OnnxConstants
{
    private readonly Dictionary<string, OnnxTensorData> _values;

    public OnnxConstants(Dictionary<string, OnnxTensorData> values, long opset)
    {
        _values = values;
        Opset = opset;
    }

    /// <summary>Version of the default operator set.</summary>
    public long Opset { get; }

    /// <summary>Whether <paramref name="name"/> is known when the graph is imported.</summary>
    public bool IsConstant(string name) => _values.ContainsKey(name);

    /// <summary>The shape of an initializer or constant, or null for a value computed at run time.</summary>
    public long[]? Shape(string name) => _values.TryGetValue(name, out var v) ? v.Shape : null;

    /// <summary>An integer constant input (a shape, pads, axes), or null when the input is omitted.</summary>
    /// <exception cref="OnnxFormatException">The input is computed at run time, which the importer does not support for it.</exception>
    public long[]? Ints(string name, string node, string role)
    {
        if (string.IsNullOrEmpty(name))
            return null;
        if (!_values.TryGetValue(name, out var value))
            throw new OnnxFormatException($"{node}: its {role} ('{name}') is computed at run time; only an initializer or a Constant node is supported there.");
        return value.AsInt64(node);
    }

    /// <summary>A float constant input (scales, a pad value), or null when the input is omitted.</summary>
    /// <inheritdoc cref="Ints" path="/exception"/>
    public float[]? Floats(string name, string node, string role)
    {
        if (string.IsNullOrEmpty(name))
            return null;
        if (!_values.TryGetValue(name, out var value))
            throw new OnnxFormatException($"{node}: its {role} ('{name}') is computed at run time; only an initializer or a Constant node is supported there.");
        return value.AsFloat(node);
    }
}
