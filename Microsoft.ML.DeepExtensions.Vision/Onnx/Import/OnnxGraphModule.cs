using System.Runtime.InteropServices;
using System.Text;
using global::Onnx;
using Microsoft.ML.DeepExtensions.Backend;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Import;

/// <summary>
/// An ONNX graph imported as a trainable TorchSharp module: each node runs as the equivalent TorchSharp
/// operation, its float initializers are parameters (trained by any optimizer), batch normalization's
/// running statistics are buffers (updated in training mode), and the module saves, loads and moves
/// between devices like any other. Made by <see cref="Import"/>.
/// </summary>
/// <remarks>
/// Supported operators (<see cref="SupportedOperators"/>): Conv, BatchNormalization, Relu, LeakyRelu,
/// Sigmoid, Tanh, Clip, Add, Sub, Mul, Div, Sum, Concat, Split, MaxPool, AveragePool, GlobalAveragePool,
/// GlobalMaxPool, Gemm, MatMul, Flatten, Reshape, Resize, Upsample, Softmax, LogSoftmax, Dropout, Pad,
/// Identity and Constant, with the attributes PyTorch can express (the message of a refusal says which).
/// Any other operator is refused when importing, naming its type and node; a shape that does not fit
/// an operator is refused when it runs, naming the node, the tensors and their shapes.
/// </remarks>
public sealed class OnnxGraphModule : nn.Module<Tensor, Tensor>
{
    private readonly ImportedNode[] _nodes;
    // ONNX value name → registered parameter or buffer name (ONNX names may hold dots, which module names cannot).
    private readonly Dictionary<string, (string Name, bool IsParameter)> _weights = new(StringComparer.Ordinal);
    private readonly ModelProto _structure;
    private readonly string _source;

    private OnnxGraphModule(ModelProto model, string source, IReadOnlyList<string>? outputNames, bool allowMissingData)
        : base("OnnxGraph")
    {
        _source = source;
        var graph = model.Graph;
        long opset = OnnxModelFile.DefaultOpset(model);
        var initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var tensor in graph.Initializer)
            initializers[tensor.Name] = tensor;

        var input = DeclaredInput(graph, source);
        InputName = input.Name;
        InputShape = DeclaredShape(input);
        OutputNames = outputNames is { Count: > 0 } ? outputNames.ToArray() : graph.Output.Count == 1
            ? new[] { graph.Output[0].Name }
            : throw new OnnxFormatException($"{source}: the graph has {graph.Output.Count} outputs ({string.Join(", ", graph.Output.Select(o => o.Name))}); name the one to use.");

        var needed = NeededNodes(graph, source, InputName, OutputNames, initializers.Keys);
        var constantValues = new Dictionary<string, OnnxTensorData>(StringComparer.Ordinal);
        foreach (var node in needed.Where(n => n.OpType == "Constant"))
        {
            var value = node.Attribute.FirstOrDefault(a => a.Name == "value")?.T
                ?? throw new OnnxFormatException($"{source}: {ImportedNode.Describe(node)} has no tensor 'value' (only tensor constants are supported).");
            value.Name = node.Output[0];
            constantValues[node.Output[0]] = OnnxTensorData.Read(value, source);
        }
        foreach (var (name, tensor) in initializers)
            constantValues[name] = OnnxTensorData.Read(tensor, source, allowMissingData);
        var constants = new OnnxConstants(constantValues, opset);

        var compiled = new List<ImportedNode>();
        foreach (var node in needed.Where(n => n.OpType != "Constant"))
        {
            compiled.Add(OnnxOperators.Create(node, constants));
            for (int i = 0; i < node.Input.Count; i++)
            {
                string name = node.Input[i];
                if (name.Length == 0 || _weights.ContainsKey(name) || !constantValues.TryGetValue(name, out var data) || OnnxOperators.IsCompileTimeInput(node.OpType, i))
                    continue;
                // Running statistics are state, not weights; constants computed by Constant nodes stay fixed.
                bool trainable = data.IsFloat && initializers.ContainsKey(name) && !(node.OpType == "BatchNormalization" && i >= 3);
                Register(name, data, trainable);
            }
        }
        _nodes = compiled.ToArray();
        _structure = model;
        Operators = _nodes.Select(n => n.OpType).ToArray();
    }

    /// <summary>The graph input's name, e.g. <c>Input247</c>.</summary>
    public string InputName { get; }

    /// <summary>The graph input's declared shape, -1 for a symbolic dimension (e.g. the batch); empty when undeclared.</summary>
    public long[] InputShape { get; }

    /// <summary>The value the module returns, e.g. <c>Pooling395_Output_0</c> (the last of <see cref="OutputNames"/>).</summary>
    public string OutputName => OutputNames[^1];

    /// <summary>The values <see cref="ForwardAll"/> returns (e.g. a detector backbone's stage outputs), in the order asked for.</summary>
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>The operator of each node the module runs, in order.</summary>
    public IReadOnlyList<string> Operators { get; }

    /// <summary>Every operator the importer supports.</summary>
    public static IReadOnlyList<string> SupportedOperators => OnnxOperators.Supported;

    /// <summary>
    /// Imports the ONNX model in <paramref name="path"/>, with its initializers as the starting weights.
    /// </summary>
    /// <param name="path">An ONNX file (<c>.onnx</c>) with one non-initializer input.</param>
    /// <param name="outputName">
    /// The value to return: an output of the graph or any intermediate value (e.g. the features before a
    /// classifier); the nodes it does not need are left out. Defaults to the graph's only output.
    /// </param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OnnxFormatException">
    /// The file is truncated or not ONNX; an operator is not supported (the message names the type and node);
    /// an initializer's shape does not fit its operator or its data does not fill its shape (the message names the tensor).
    /// </exception>
    public static OnnxGraphModule Import(string path, string? outputName = null)
    {
        var model = OnnxModelFile.Read(path);
        TorchBackend.EnsureStarted();
        return new OnnxGraphModule(model, $"ONNX file '{path}'", outputName is null ? null : new[] { outputName }, allowMissingData: false);
    }

    /// <summary>Imports a parsed model; <paramref name="source"/> names it in messages.</summary>
    internal static OnnxGraphModule FromModel(ModelProto model, string source, string? outputName, bool allowMissingData = false) =>
        FromModelOutputs(model, source, outputName is null ? null : new[] { outputName }, allowMissingData);

    /// <summary>Imports a parsed model computing several values (<see cref="ForwardAll"/>); null for the graph's only output.</summary>
    internal static OnnxGraphModule FromModelOutputs(ModelProto model, string source, IReadOnlyList<string>? outputNames, bool allowMissingData = false)
    {
        TorchBackend.EnsureStarted();
        return new OnnxGraphModule(model, source, outputNames, allowMissingData);
    }

    /// <summary>
    /// The graph without its weights' values (shapes kept): with the parameter names of this module it
    /// rebuilds the same module, whose weights then load from a saved state.
    /// </summary>
    internal byte[] StructureWithoutWeights()
    {
        var copy = _structure.Clone();
        foreach (var tensor in copy.Graph.Initializer.Where(t => _weights.ContainsKey(t.Name)))
        {
            tensor.RawData = Google.Protobuf.ByteString.Empty;
            tensor.FloatData.Clear();
        }
        return Google.Protobuf.MessageExtensions.ToByteArray(copy);
    }

    /// <summary>
    /// The imported model with the module's current weights as its initializers (for ONNX export), up to
    /// the module's output; the caller adds nodes after <see cref="OutputName"/>.
    /// </summary>
    internal ModelProto WithCurrentWeights()
    {
        var copy = _structure.Clone();
        foreach (var tensor in copy.Graph.Initializer)
        {
            if (!_weights.TryGetValue(tensor.Name, out var weight))
                continue;
            using var values = (weight.IsParameter ? get_parameter(weight.Name) : get_buffer(weight.Name))!.detach().cpu().contiguous();
            tensor.FloatData.Clear();
            tensor.DataType = (int)TensorProto.Types.DataType.Float;
            tensor.RawData = Google.Protobuf.ByteString.CopyFrom(MemoryMarshal.AsBytes(values.data<float>().ToArray().AsSpan()));
        }
        return copy;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => Run(input)[OutputName];

    /// <summary>The values of <see cref="OutputNames"/> for <paramref name="input"/>, in that order, from one pass through the graph.</summary>
    public Tensor[] ForwardAll(Tensor input)
    {
        var values = Run(input);
        return OutputNames.Select(name => values[name]).ToArray();
    }

    /// <summary>The shape of every value the graph computes for <paramref name="input"/> (in evaluation mode, without gradients), by name.</summary>
    internal Dictionary<string, long[]> ValueShapes(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        bool wasTraining = training;
        eval();
        try
        {
            return Run(input).ToDictionary(v => v.Key, v => v.Value.shape, StringComparer.Ordinal);
        }
        finally
        {
            train(wasTraining);
        }
    }

    /// <summary>Whether <see cref="FreezeBatchNormalization"/> was called.</summary>
    public bool BatchNormalizationFrozen { get; private set; }

    /// <summary>
    /// Keeps every batch normalization as the file has it while the module trains: the running statistics normalize and
    /// are not updated, and the scale and shift are no longer trained (torchvision's <c>FrozenBatchNorm2d</c>). Fine-tuning
    /// a pretrained network on batches of a few images needs it, since such small batches' statistics are too noisy.
    /// </summary>
    public void FreezeBatchNormalization()
    {
        BatchNormalizationFrozen = true;
        foreach (var node in _nodes.OfType<BatchNormalizationNode>())
        {
            foreach (var input in node.Inputs.Skip(1).Take(2)) // scale, B
            {
                if (_weights.TryGetValue(input, out var weight) && weight.IsParameter)
                    get_parameter(weight.Name)!.requires_grad = false;
            }
        }
    }

    /// <summary>Runs the nodes in order; returns every value computed, by name.</summary>
    private Dictionary<string, Tensor> Run(Tensor input)
    {
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [InputName] = input };
        foreach (var node in _nodes)
        {
            var arguments = new Tensor?[node.Inputs.Length];
            for (int i = 0; i < arguments.Length; i++)
            {
                string name = node.Inputs[i];
                if (name.Length == 0 || OnnxOperators.IsCompileTimeInput(node.OpType, i))
                    continue;
                arguments[i] = values.TryGetValue(name, out var value) ? value : Weight(name);
            }
            Tensor[] outputs;
            try
            {
                outputs = node.Run(arguments, training && !(BatchNormalizationFrozen && node is BatchNormalizationNode));
            }
            catch (Exception e) when (e is not OnnxFormatException and not OutOfMemoryException)
            {
                var shapes = arguments.Select((a, i) => a is null ? null : $"'{node.Inputs[i]}' [{string.Join(", ", a.shape)}]").Where(s => s is not null);
                throw new OnnxFormatException($"{_source}: {node.Description} fails on inputs {string.Join(", ", shapes)}: {e.Message}", e);
            }
            for (int o = 0; o < node.Outputs.Length && o < outputs.Length; o++)
            {
                if (node.Outputs[o].Length > 0)
                    values[node.Outputs[o]] = outputs[o];
            }
        }
        return values;
    }

    private Tensor Weight(string name)
    {
        var (registered, isParameter) = _weights[name];
        return (isParameter ? get_parameter(registered) : get_buffer(registered))!;
    }

    private void Register(string onnxName, OnnxTensorData data, bool trainable)
    {
        var name = new StringBuilder(onnxName.Length);
        foreach (char c in onnxName)
            name.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        string unique = name.Length == 0 ? "value" : name.ToString();
        for (int suffix = 1; _weights.Values.Any(w => w.Name == unique); suffix++)
            unique = $"{name}_{suffix}";
        var tensor = data.IsFloat
            ? torch.tensor(data.AsFloat(onnxName), data.Shape, dtype: ScalarType.Float32)
            : torch.tensor(data.AsInt64(onnxName), data.Shape, dtype: ScalarType.Int64);
        if (trainable)
            register_parameter(unique, new TorchSharp.Modules.Parameter(tensor, requires_grad: true));
        else
            register_buffer(unique, tensor);
        _weights[onnxName] = (unique, trainable);
    }

    /// <summary>The graph's one input that is not an initializer; refuses a graph with none or several.</summary>
    internal static ValueInfoProto DeclaredInput(GraphProto graph, string source)
    {
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Input.Where(i => !initializers.Contains(i.Name)).ToArray();
        if (inputs.Length != 1)
            throw new OnnxFormatException($"{source}: the graph must have exactly one input that is not an initializer, got {inputs.Length} ({string.Join(", ", inputs.Select(i => i.Name))}).");
        return inputs[0];
    }

    /// <summary>An input's declared shape, -1 for a symbolic dimension; empty when undeclared.</summary>
    internal static long[] DeclaredShape(ValueInfoProto input) =>
        input.Type?.TensorType?.Shape?.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : -1).ToArray()
            ?? Array.Empty<long>();

    /// <summary>The nodes needed for <paramref name="outputs"/>, in graph order; refuses values nothing produces.</summary>
    private static List<NodeProto> NeededNodes(GraphProto graph, string source, string input, IReadOnlyList<string> outputs, IEnumerable<string> initializers)
    {
        var producers = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < graph.Node.Count; i++)
        {
            foreach (var name in graph.Node[i].Output.Where(o => o.Length > 0))
                producers[name] = i;
        }
        var available = new HashSet<string>(initializers, StringComparer.Ordinal) { input };
        foreach (var output in outputs.Where(o => !producers.ContainsKey(o) && !available.Contains(o)))
            throw new OnnxFormatException($"{source}: no node produces the output '{output}'.");
        var needed = new SortedSet<int>();
        var pending = new Stack<string>(outputs);
        while (pending.Count > 0)
        {
            var name = pending.Pop();
            if (available.Contains(name) || !producers.TryGetValue(name, out int index))
            {
                if (!available.Contains(name))
                    throw new OnnxFormatException($"{source}: the value '{name}' is read but no node, initializer or input provides it.");
                continue;
            }
            if (!needed.Add(index))
                continue;
            foreach (var argument in graph.Node[index].Input.Where(a => a.Length > 0))
                pending.Push(argument);
        }
        var ordered = needed.Select(i => graph.Node[i]).ToList();
        // ONNX requires topological order; check it, since the module runs the nodes in this order.
        var defined = new HashSet<string>(available, StringComparer.Ordinal);
        foreach (var node in ordered)
        {
            foreach (var argument in node.Input.Where(a => a.Length > 0 && !defined.Contains(a)))
                throw new OnnxFormatException($"{source}: {ImportedNode.Describe(node)} reads '{argument}' before any node produces it (the graph is not in topological order).");
            foreach (var produced in node.Output.Where(o => o.Length > 0))
                defined.Add(produced);
        }
        return ordered;
    }
}
