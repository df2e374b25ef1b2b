using global::Onnx;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Import;

/// <summary>A node's attributes by name, with the defaults of the ONNX operator specification.</summary>
internal sealed class OnnxNodeAttributes
{
    private readonly Dictionary<string, AttributeProto> _attributes;
    private readonly string _node;

    public OnnxNodeAttributes(NodeProto node, string description)
    {
        _attributes = node.Attribute.GroupBy(a => a.Name).ToDictionary(g => g.Key, g => g.Last());
        _node = description;
    }

    public bool Has(string name) => _attributes.ContainsKey(name);

    public long Int(string name, long defaultValue) => _attributes.TryGetValue(name, out var a) ? a.I : defaultValue;

    public float Float(string name, float defaultValue) => _attributes.TryGetValue(name, out var a) ? a.F : defaultValue;

    public string String(string name, string defaultValue) => _attributes.TryGetValue(name, out var a) ? a.S.ToStringUtf8() : defaultValue;

    public long[]? Ints(string name) => _attributes.TryGetValue(name, out var a) ? a.Ints.ToArray() : null;

    public float[]? Floats(string name) => _attributes.TryGetValue(name, out var a) ? a.Floats.ToArray() : null;

    public TensorProto? TensorValue(string name) => _attributes.TryGetValue(name, out var a) ? a.T : null;

    /// <summary>Refuses a value the importer does not implement, naming the node and the attribute.</summary>
    public OnnxFormatException Unsupported(string attribute, string value, string supported) =>
        new($"{_node}: {attribute} = {value} is not supported (supported: {supported}).");
}
