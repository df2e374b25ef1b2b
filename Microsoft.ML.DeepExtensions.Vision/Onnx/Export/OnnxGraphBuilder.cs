using System.Runtime.InteropServices;
using Google.Protobuf;
using global::Onnx;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Export;

/// <summary>
/// Builds an ONNX model (opset 13) with the generated protobuf classes: float initializers from
/// TorchSharp tensors, integer constants, nodes with typed attributes, one float input and named outputs.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>The operator set exported models import.</summary>
    public const long Opset = 13;

    private readonly GraphProto _graph = new() { Name = "DeepExtensions" };
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _counter;

    /// <summary>Declares the float input <paramref name="name"/> of shape <paramref name="shape"/> (-1: a symbolic dimension named <c>N</c>).</summary>
    public string Input(string name, long[] shape)
    {
        _graph.Input.Add(ValueInfo(name, shape));
        _names.Add(name);
        return name;
    }

    /// <summary>Declares <paramref name="value"/> as the float output <paramref name="shape"/>.</summary>
    public void Output(string value, long[] shape) => _graph.Output.Add(ValueInfo(value, shape));

    /// <summary>A float initializer holding <paramref name="tensor"/>'s values.</summary>
    public string Initializer(string name, Tensor tensor)
    {
        using var values = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous();
        var proto = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Float };
        proto.Dims.AddRange(values.shape);
        proto.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.data<float>().ToArray().AsSpan()));
        _graph.Initializer.Add(proto);
        return proto.Name;
    }

    /// <summary>A 1-D int64 initializer (shapes, pads, split sizes).</summary>
    public string Ints(string name, params long[] values) =>
        Constant(name, TensorProto.Types.DataType.Int64, new long[] { values.Length }, t => t.Int64Data.AddRange(values));

    /// <summary>A 1-D float initializer (scales, clip bounds).</summary>
    public string Floats(string name, params float[] values) =>
        Constant(name, TensorProto.Types.DataType.Float, new long[] { values.Length }, t => t.FloatData.AddRange(values));

    /// <summary>A scalar int64 initializer (e.g. Range's bounds).</summary>
    public string Int(string name, long value) =>
        Constant(name, TensorProto.Types.DataType.Int64, Array.Empty<long>(), t => t.Int64Data.Add(value));

    /// <summary>A scalar float initializer.</summary>
    public string Scalar(string name, float value) =>
        Constant(name, TensorProto.Types.DataType.Float, Array.Empty<long>(), t => t.FloatData.Add(value));

    private string Constant(string name, TensorProto.Types.DataType type, long[] dims, Action<TensorProto> fill)
    {
        var proto = new TensorProto { Name = Unique(name), DataType = (int)type };
        proto.Dims.AddRange(dims);
        fill(proto);
        _graph.Initializer.Add(proto);
        return proto.Name;
    }

    /// <summary>Adds a node named <paramref name="name"/>; returns its (first) output's name.</summary>
    /// <param name="opType">The ONNX operator (<c>Conv</c>, <c>Relu</c>, ...).</param>
    /// <param name="name">The node's name; its output is named after it, made unique in the graph.</param>
    /// <param name="inputs">The names of the node's inputs, in the operator's order.</param>
    /// <param name="attributes">Attribute values: long, float, string, long[] or float[].</param>
    public string Node(string opType, string name, string[] inputs, params (string Name, object Value)[] attributes)
    {
        var node = NewNode(opType, name, inputs, attributes);
        string output = Unique(node.Name);
        node.Output.Add(output);
        _graph.Node.Add(node);
        return output;
    }

    /// <summary>Adds a node with <paramref name="outputCount"/> outputs (e.g. TopK's values and indices); returns their names.</summary>
    public string[] Node(string opType, string name, string[] inputs, int outputCount, params (string Name, object Value)[] attributes)
    {
        var node = NewNode(opType, name, inputs, attributes);
        var outputs = Enumerable.Range(0, outputCount).Select(i => Unique(i == 0 ? node.Name : $"{node.Name}.{i}")).ToArray();
        node.Output.AddRange(outputs);
        _graph.Node.Add(node);
        return outputs;
    }

    /// <summary>Adds an already-built node (from an imported graph), its names already unique.</summary>
    public void Add(NodeProto node)
    {
        foreach (var output in node.Output)
            _names.Add(output);
        _graph.Node.Add(node);
    }

    /// <summary>Adds an initializer whose name is already unique (from an imported graph).</summary>
    public void Add(TensorProto tensor)
    {
        _names.Add(tensor.Name);
        _graph.Initializer.Add(tensor);
    }

    /// <summary>A name not used yet in the graph, <paramref name="name"/> when free.</summary>
    public string Unique(string name)
    {
        string candidate = name;
        while (!_names.Add(candidate))
            candidate = $"{name}_{++_counter}";
        return candidate;
    }

    /// <summary>The model: IR version 7 (ONNX 1.8+ runtimes), opset 13, producer DeepExtensions.</summary>
    public ModelProto Build(string docString)
    {
        var model = new ModelProto
        {
            IrVersion = 7,
            ProducerName = "DeepExtensions",
            ProducerVersion = typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString() ?? "",
            DocString = docString,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model;
    }

    private NodeProto NewNode(string opType, string name, string[] inputs, (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = Unique(name) };
        node.Input.AddRange(inputs);
        foreach (var (attributeName, value) in attributes)
            node.Attribute.Add(Attribute(attributeName, value));
        _names.Remove(node.Name);
        return node;
    }

    internal static AttributeProto Attribute(string name, object value)
    {
        var attribute = new AttributeProto { Name = name };
        switch (value)
        {
            case long i:
                attribute.Type = AttributeProto.Types.AttributeType.Int;
                attribute.I = i;
                break;
            case int i:
                attribute.Type = AttributeProto.Types.AttributeType.Int;
                attribute.I = i;
                break;
            case float f:
                attribute.Type = AttributeProto.Types.AttributeType.Float;
                attribute.F = f;
                break;
            case double d:
                attribute.Type = AttributeProto.Types.AttributeType.Float;
                attribute.F = (float)d;
                break;
            case string s:
                attribute.Type = AttributeProto.Types.AttributeType.String;
                attribute.S = ByteString.CopyFromUtf8(s);
                break;
            case long[] ints:
                attribute.Type = AttributeProto.Types.AttributeType.Ints;
                attribute.Ints.AddRange(ints);
                break;
            case float[] floats:
                attribute.Type = AttributeProto.Types.AttributeType.Floats;
                attribute.Floats.AddRange(floats);
                break;
            default:
                throw new ArgumentException($"Attribute '{name}' has an unsupported value type {value?.GetType().Name}.", nameof(value));
        }
        return attribute;
    }

    private static ValueInfoProto ValueInfo(string name, long[] shape)
    {
        var tensorShape = new TensorShapeProto();
        foreach (var d in shape)
            tensorShape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = tensorShape } },
        };
    }
}
