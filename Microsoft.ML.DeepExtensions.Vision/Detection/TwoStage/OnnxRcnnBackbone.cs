using global::Onnx;
using Microsoft.ML.DeepExtensions.Vision.Onnx;
using Microsoft.ML.DeepExtensions.Vision.Onnx.Import;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// What an R-CNN needs to rebuild an ONNX backbone body (<see cref="OnnxRcnnBody"/>): the graph, the values that are its
/// feature maps and their channels. Made from the file when training (with its weights), read from model.zip when loading
/// (the graph's structure only: the trained weights come with the detector's state dictionary), as <c>OnnxBackbone</c>
/// does for the CNN trainer.
/// </summary>
internal sealed class OnnxRcnnBackbone
{
    private readonly ModelProto _graph;
    private readonly bool _hasWeights;

    private OnnxRcnnBackbone(ModelProto graph, IReadOnlyList<string> featureMaps, IReadOnlyList<int> channels, string source, bool hasWeights)
    {
        _graph = graph;
        FeatureMaps = featureMaps.ToArray();
        Channels = channels.ToArray();
        Source = source;
        _hasWeights = hasWeights;
    }

    /// <summary>The graph values the body returns, finest first.</summary>
    public IReadOnlyList<string> FeatureMaps { get; }

    /// <summary>Channels of each feature map.</summary>
    public IReadOnlyList<int> Channels { get; }

    /// <summary>Where the graph came from, for messages (e.g. <c>ONNX file 'resnet18.onnx'</c>).</summary>
    public string Source { get; }

    /// <summary>
    /// Reads <paramref name="path"/> and checks that <paramref name="featureMaps"/> are 4-D maps of 3-channel images.
    /// </summary>
    /// <param name="path">The ONNX file.</param>
    /// <param name="featureMaps">
    /// Values or node names (a node stands for its first output) whose outputs are the feature maps, finest first; null or
    /// empty for the graph's only output.
    /// </param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OnnxFormatException">
    /// The file is not ONNX or holds an unsupported operator; a name is neither a value nor a node of the graph; a feature
    /// map is not <c>[N, C, H, W]</c>; the graph does not take 3-channel images. Each message names the file and the value.
    /// </exception>
    public static OnnxRcnnBackbone Load(string path, IReadOnlyList<string>? featureMaps)
    {
        var graph = OnnxModelFile.Read(path);
        string source = $"ONNX file '{path}'";
        var outputs = featureMaps is { Count: > 0 } ? featureMaps.Select(name => ValueNamed(graph.Graph, name, source)).ToArray() : null;
        using var module = OnnxGraphModule.FromModelOutputs(graph, source, outputs);
        return new OnnxRcnnBackbone(graph, module.OutputNames, ProbeChannels(module, source), source, hasWeights: true);
    }

    /// <summary>The body: the graph (with the file's weights, or zeros a state dictionary replaces) returning the feature maps.</summary>
    public OnnxRcnnBody CreateBody()
    {
        var graph = OnnxGraphModule.FromModelOutputs(_graph, Source, FeatureMaps, allowMissingData: !_hasWeights);
        return new OnnxRcnnBody(graph, Channels);
    }

    public void Write(BinaryWriter writer)
    {
        using (var graph = OnnxGraphModule.FromModelOutputs(_graph, Source, FeatureMaps, allowMissingData: !_hasWeights))
            OnnxModelFile.WriteEmbedded(writer, graph.StructureWithoutWeights());
        writer.Write(FeatureMaps.Count);
        foreach (var name in FeatureMaps)
            writer.Write(name);
        foreach (int channels in Channels)
            writer.Write(channels);
        writer.Write(Source);
    }

    public static OnnxRcnnBackbone Read(BinaryReader reader)
    {
        var graph = OnnxModelFile.ReadEmbedded(reader, "the saved ONNX backbone");
        int count = reader.ReadInt32();
        if (count is <= 0 or > 16)
            throw new InvalidDataException($"Corrupt R-CNN model: {count} ONNX feature maps.");
        var names = Enumerable.Range(0, count).Select(_ => reader.ReadString()).ToArray();
        var channels = Enumerable.Range(0, count).Select(_ => reader.ReadInt32()).ToArray();
        if (channels.Any(c => c <= 0))
            throw new InvalidDataException($"Corrupt R-CNN model: ONNX feature map channels [{string.Join(", ", channels)}].");
        return new OnnxRcnnBackbone(graph, names, channels, reader.ReadString(), hasWeights: false);
    }

    /// <summary><paramref name="name"/> itself when a node produces it (or it is the input), else the first output of the node so named.</summary>
    private static string ValueNamed(GraphProto graph, string name, string source)
    {
        if (graph.Node.Any(n => n.Output.Contains(name)))
            return name;
        var node = graph.Node.FirstOrDefault(n => n.Name == name);
        if (node is not null && node.Output.Count > 0 && node.Output[0].Length > 0)
            return node.Output[0];
        throw new OnnxFormatException($"{source}: the backbone feature map '{name}' is neither a node nor a value of the graph (its outputs: {string.Join(", ", graph.Output.Select(o => o.Name))}; the last nodes: {string.Join(", ", graph.Node.TakeLast(5).Select(n => $"{n.Name} ({n.OpType})"))}).");
    }

    /// <summary>
    /// Channels of each map, from one zero image at the graph's declared size (224 x 224 where it declares none); refuses
    /// maps that are not 4-D and graphs that do not take 3 channels.
    /// </summary>
    private static int[] ProbeChannels(OnnxGraphModule module, string source)
    {
        var declared = module.InputShape;
        if (declared.Length == 4 && declared[1] > 0 && declared[1] != 3)
            throw new OnnxFormatException($"{source}: the graph's input '{module.InputName}' has {declared[1]} channels; an R-CNN's backbone reads RGB images (3 channels).");
        long height = declared.Length == 4 && declared[2] > 0 ? declared[2] : 224, width = declared.Length == 4 && declared[3] > 0 ? declared[3] : 224;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        module.eval();
        var maps = module.ForwardAll(torch.zeros(1, 3, height, width));
        var channels = new int[maps.Length];
        for (int i = 0; i < maps.Length; i++)
        {
            if (maps[i].dim() != 4)
                throw new OnnxFormatException($"{source}: the backbone feature map '{module.OutputNames[i]}' is [{string.Join(", ", maps[i].shape)}] for a {height}x{width} image; an R-CNN needs [N, C, H, W] maps: name a convolution stage's output (e.g. the last ReLU before the global pooling).");
            channels[i] = (int)maps[i].shape[1];
        }
        return channels;
    }
}
