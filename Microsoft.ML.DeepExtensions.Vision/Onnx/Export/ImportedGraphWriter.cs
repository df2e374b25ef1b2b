using global::Onnx;
using Microsoft.ML.DeepExtensions.Vision.Onnx.Import;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Export;

/// <summary>
/// Copies an imported ONNX graph (<see cref="OnnxGraphModule"/>), with the module's current (trained)
/// weights, into an exported model: values are renamed under a prefix, and nodes of an older operator set
/// are rewritten in their opset-13 form (attributes that became inputs, removed attributes, Upsample as Resize).
/// </summary>
internal static class ImportedGraphWriter
{
    /// <summary>Appends the nodes <paramref name="module"/> runs, reading <paramref name="input"/>; returns the value of its output.</summary>
    public static string Append(OnnxGraphBuilder builder, OnnxGraphModule module, string input, string prefix)
    {
        var model = module.WithCurrentWeights();
        long opset = OnnxModelFile.DefaultOpset(model);
        var graph = model.Graph;
        var names = new Dictionary<string, string>(StringComparer.Ordinal) { [module.InputName] = input, [""] = "" };
        string Rename(string name)
        {
            if (!names.TryGetValue(name, out var renamed))
                names[name] = renamed = builder.Unique(prefix + name);
            return renamed;
        }

        var used = new HashSet<string>(module.Operators.Count == 0 ? Array.Empty<string>() : NeededValues(graph, module.OutputName), StringComparer.Ordinal);
        foreach (var tensor in graph.Initializer.Where(t => used.Contains(t.Name)))
        {
            var copy = tensor.Clone();
            copy.Name = Rename(tensor.Name);
            builder.Add(copy);
        }
        foreach (var node in graph.Node.Where(n => n.Output.Any(used.Contains)))
        {
            var copy = node.Clone();
            copy.Name = builder.Unique(prefix + (node.Name.Length > 0 ? node.Name : node.OpType));
            copy.Input.Clear();
            copy.Input.AddRange(node.Input.Select(Rename));
            copy.Output.Clear();
            copy.Output.AddRange(node.Output.Select(Rename));
            if (opset < OnnxGraphBuilder.Opset)
                Upgrade(copy, opset, builder);
            builder.Add(copy);
        }
        return names[module.OutputName];
    }

    /// <summary>Every value the output depends on.</summary>
    private static IEnumerable<string> NeededValues(GraphProto graph, string output)
    {
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (var o in node.Output)
                producers[o] = node;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(new[] { output });
        while (pending.Count > 0)
        {
            var name = pending.Pop();
            if (!seen.Add(name) || !producers.TryGetValue(name, out var node))
                continue;
            foreach (var o in node.Output)
                seen.Add(o);
            foreach (var i in node.Input.Where(i => i.Length > 0))
                pending.Push(i);
        }
        return seen;
    }

    /// <summary>Rewrites a node of the importer's operators from an older operator set to opset 13.</summary>
    private static void Upgrade(NodeProto node, long opset, OnnxGraphBuilder builder)
    {
        RemoveAttributes(node, "consumed_inputs", "is_test");
        switch (node.OpType)
        {
            case "BatchNormalization":
                RemoveAttributes(node, "spatial");
                break;
            case "Split" when node.Attribute.FirstOrDefault(a => a.Name == "split") is { } split:
                node.Input.Add(builder.Ints($"{node.Name}.split", split.Ints.ToArray()));
                RemoveAttributes(node, "split");
                break;
            case "Dropout":
                RemoveAttributes(node, "ratio");
                break;
            case "Pad" when node.Attribute.FirstOrDefault(a => a.Name == "pads") is { } pads:
                float value = node.Attribute.FirstOrDefault(a => a.Name == "value")?.F ?? 0;
                node.Input.Add(builder.Ints($"{node.Name}.pads", pads.Ints.ToArray()));
                node.Input.Add(builder.Scalar($"{node.Name}.value", value));
                RemoveAttributes(node, "pads", "value");
                break;
            case "Clip" when node.Attribute.Any(a => a.Name is "min" or "max"):
                float min = node.Attribute.FirstOrDefault(a => a.Name == "min")?.F ?? float.MinValue;
                float max = node.Attribute.FirstOrDefault(a => a.Name == "max")?.F ?? float.MaxValue;
                node.Input.Add(builder.Scalar($"{node.Name}.min", min));
                node.Input.Add(builder.Scalar($"{node.Name}.max", max));
                RemoveAttributes(node, "min", "max");
                break;
            case "Upsample":
            case "Resize" when opset < 11:
                var scales = node.Attribute.FirstOrDefault(a => a.Name == "scales") is { } attribute
                    ? builder.Floats($"{node.Name}.scales", attribute.Floats.ToArray())
                    : node.Input[1];
                var data = node.Input[0];
                node.OpType = "Resize";
                node.Input.Clear();
                node.Input.AddRange(new[] { data, "", scales });
                RemoveAttributes(node, "scales");
                node.Attribute.Add(OnnxGraphBuilder.Attribute("coordinate_transformation_mode", "asymmetric"));
                node.Attribute.Add(OnnxGraphBuilder.Attribute("nearest_mode", "floor"));
                break;
            case "Softmax" or "LogSoftmax":
                // Before opset 13 the input is coerced to 2-D at the axis; keep that meaning with Flatten and a Reshape back.
                long axis = node.Attribute.FirstOrDefault(a => a.Name == "axis")?.I ?? 1;
                RemoveAttributes(node, "axis");
                node.Attribute.Add(OnnxGraphBuilder.Attribute("axis", 1L));
                string original = node.Input[0], output = node.Output[0];
                string flat = builder.Node("Flatten", $"{node.Name}.flatten", new[] { original }, ("axis", axis));
                string shape = builder.Node("Shape", $"{node.Name}.shape", new[] { original });
                string soft = builder.Unique($"{node.Name}.flat");
                node.Input[0] = flat;
                node.Output[0] = soft;
                builder.Add(node.Clone());
                node.OpType = "Reshape";
                node.Name = builder.Unique($"{node.Name}.reshape");
                node.Attribute.Clear();
                node.Input.Clear();
                node.Input.AddRange(new[] { soft, shape });
                node.Output[0] = output;
                break;
        }
    }

    private static void RemoveAttributes(NodeProto node, params string[] names)
    {
        foreach (var attribute in node.Attribute.Where(a => names.Contains(a.Name)).ToArray())
            node.Attribute.Remove(attribute);
    }
}
