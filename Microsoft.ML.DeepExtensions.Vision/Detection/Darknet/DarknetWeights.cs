using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// Reads and writes Darknet <c>.weights</c> files for a <see cref="DarknetNetwork"/>, in Darknet's layout
/// (<c>parser.c</c>): a <see cref="DarknetWeightsHeader"/>, then, for each layer with weights in cfg order, float32
/// values. A <c>[convolutional]</c> layer stores its biases, with <c>batch_normalize=1</c> the scales, rolling means and
/// rolling variances, then the kernels <c>[filters, channels/groups, size, size]</c>; a <c>[connected]</c> layer its
/// biases, weights <c>[output, inputs]</c>, then with batch normalization the scales, rolling means and rolling variances.
/// </summary>
/// <remarks>
/// The values go into the modules unchanged (see <see cref="DarknetBatchNorm"/> for why the variances need no
/// conversion), so reading a file and writing it back gives the same bytes. Layers with <c>dontload=1</c> are skipped
/// when reading and <c>dontsave=1</c> when writing, as in Darknet. A file of the wrong size is refused, naming the file,
/// the layer and the float counts, instead of leaving layers half-initialized as Darknet does.
/// </remarks>
public static class DarknetWeights
{
    /// <summary>
    /// Reads <paramref name="path"/> into <paramref name="network"/>: all layers, or with <paramref name="layerCount"/> only
    /// layers <c>0 .. layerCount-1</c>, the way Darknet fine-tunes from a backbone file such as
    /// <c>darknet53.conv.74</c> (made by <c>darknet partial cfg weights out 74</c>).
    /// </summary>
    /// <param name="network">The network whose parameters and batch-norm statistics are overwritten (on any device).</param>
    /// <param name="path">The <c>.weights</c> file.</param>
    /// <param name="layerCount">
    /// How many leading layers to read; the file must hold at least their weights and may hold more. Defaults to all
    /// layers, and then the file must end exactly after the last one.
    /// </param>
    /// <returns>The file's header.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layerCount"/> is not in [0, layer count].</exception>
    /// <exception cref="DarknetFormatException">The file is shorter or longer than the layers need; the message names the layer and the float counts.</exception>
    public static DarknetWeightsHeader Load(DarknetNetwork network, string path, int? layerCount = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckLayerCount(network, layerCount);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Darknet weights file '{path}' does not exist.", path);
        using var stream = File.OpenRead(path);
        return Load(network, stream, path, layerCount);
    }

    /// <summary>Reads Darknet weights from <paramref name="stream"/> (see <see cref="Load(DarknetNetwork, string, int?)"/>).</summary>
    /// <param name="network">The network whose parameters and batch-norm statistics are overwritten.</param>
    /// <param name="stream">The weights, from the start of the header to the end of the stream.</param>
    /// <param name="name">Names the weights in messages, e.g. a file name.</param>
    /// <param name="layerCount">How many leading layers to read. Defaults to all layers, and then the stream must end after the last one.</param>
    /// <returns>The header.</returns>
    /// <exception cref="DarknetFormatException">The stream is shorter or longer than the layers need.</exception>
    public static DarknetWeightsHeader Load(DarknetNetwork network, Stream stream, string name, int? layerCount = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(stream);
        int cutoff = CheckLayerCount(network, layerCount);
        if (!stream.CanSeek)
        {
            // The size checks need the length; weights are read whole anyway.
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            return Load(network, copy, name, layerCount);
        }

        var header = ReadHeader(stream, name);
        using var noGrad = torch.no_grad();
        for (int i = 0; i < cutoff; i++)
        {
            var layer = network.Layers[i];
            if (layer.Section.GetInt("dontload", 0) != 0)
                continue;
            var segments = Segments(layer, header.TransposedConnected);
            long needed = segments.Sum(s => s.Target.numel());
            long remaining = (stream.Length - stream.Position) / sizeof(float);
            if (remaining < needed)
            {
                throw new DarknetFormatException(
                    $"{name}: too short for layer {i} ({layer.Section.Header}, {layer.Section.Source} line {layer.Section.Line}): it needs {needed} floats ({Describe(segments)}) but only {remaining} remain; the file was written for another cfg or is truncated.");
            }

            foreach (var segment in segments)
                ReadInto(stream, segment);
        }

        long left = stream.Length - stream.Position;
        if (layerCount is null && left != 0)
        {
            throw new DarknetFormatException(
                $"{name}: too long: {left} bytes ({left / sizeof(float)} floats) remain after the last of the cfg's {network.Layers.Count} layers; the file was written for another cfg (to read only leading layers, pass a layer count).");
        }

        return header;
    }

    /// <summary>
    /// Writes <paramref name="network"/>'s weights to <paramref name="path"/> as Darknet's <c>save_weights</c> does
    /// (version 0.2.0): all layers, or with <paramref name="layerCount"/> only layers <c>0 .. layerCount-1</c>
    /// (Darknet's <c>save_weights_upto</c>, e.g. a backbone for fine-tuning).
    /// </summary>
    /// <param name="network">The network.</param>
    /// <param name="path">The file to create or overwrite.</param>
    /// <param name="layerCount">How many leading layers to write. Defaults to all.</param>
    /// <param name="seen">The header's count of training images seen. Defaults to 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layerCount"/> is not in [0, layer count], or <paramref name="seen"/> is negative.</exception>
    public static void Save(DarknetNetwork network, string path, int? layerCount = null, long seen = 0)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegative(seen);
        CheckLayerCount(network, layerCount);
        using var stream = File.Create(path);
        Save(network, stream, layerCount, seen);
    }

    /// <summary>Writes Darknet weights to <paramref name="stream"/> (see <see cref="Save(DarknetNetwork, string, int?, long)"/>).</summary>
    public static void Save(DarknetNetwork network, Stream stream, int? layerCount = null, long seen = 0)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(seen);
        int cutoff = CheckLayerCount(network, layerCount);
        var header = DarknetWeightsHeader.Current(seen);
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(header.Major);
            writer.Write(header.Minor);
            writer.Write(header.Revision);
            writer.Write(header.Seen);
        }

        for (int i = 0; i < cutoff; i++)
        {
            var layer = network.Layers[i];
            if (layer.Section.GetInt("dontsave", 0) != 0)
                continue;
            foreach (var segment in Segments(layer, transposedConnected: false))
            {
                using var values = segment.Target.detach().cpu().contiguous();
                stream.Write(values.bytes);
            }
        }
    }

    /// <summary>Floats a layer stores in a <c>.weights</c> file (0 for layers without weights).</summary>
    public static long FloatCount(DarknetLayer layer) => Segments(layer, transposedConnected: false).Sum(s => s.Target.numel());

    // One stored array: its Darknet name (for messages) and the tensor it fills.
    private sealed record Segment(string Name, Tensor Target, bool Transposed = false);

    private static List<Segment> Segments(DarknetLayer layer, bool transposedConnected)
    {
        var segments = new List<Segment>();
        switch (layer)
        {
            case DarknetConvolutionalLayer conv:
                if (conv.BatchNorm is { } bn)
                {
                    segments.Add(new("biases", bn.Bias));
                    AddBatchNorm(segments, bn);
                }
                else
                {
                    segments.Add(new("biases", conv.Convolution.bias!));
                }

                segments.Add(new("weights", conv.Convolution.weight!));
                break;
            case DarknetConnectedLayer connected:
                segments.Add(new("biases", connected.BatchNorm?.Bias ?? connected.Linear.bias!));
                segments.Add(new("weights", connected.Linear.weight!, transposedConnected));
                if (connected.BatchNorm is { } connectedBn)
                    AddBatchNorm(segments, connectedBn);
                break;
        }

        return segments;
    }

    private static void AddBatchNorm(List<Segment> segments, DarknetBatchNorm bn)
    {
        segments.Add(new("scales", bn.Weight));
        segments.Add(new("rolling_mean", bn.RunningMean));
        segments.Add(new("rolling_variance", bn.RunningVariance));
    }

    private static void ReadInto(Stream stream, Segment segment)
    {
        var target = segment.Target;
        if (!segment.Transposed && target.device_type == DeviceType.CPU && target.dtype == ScalarType.Float32 && target.is_contiguous())
        {
            // Straight into the tensor's memory: no managed copy of a 250 MB file.
            stream.ReadExactly(target.bytes);
            return;
        }

        var values = new float[segment.Target.numel()];
        stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        var shape = segment.Target.shape;
        using var source = segment.Transposed
            ? torch.tensor(values, new[] { shape[1], shape[0] }).t()
            : torch.tensor(values, shape);
        segment.Target.copy_(source);
    }

    private static DarknetWeightsHeader ReadHeader(Stream stream, string path)
    {
        Span<byte> bytes = stackalloc byte[20];
        long length = stream.Length - stream.Position;
        if (length < 16)
            throw new DarknetFormatException($"{path}: {length} bytes is too short for a Darknet weights header (16 or 20 bytes).");
        stream.ReadExactly(bytes[..12]);
        var ints = MemoryMarshal.Cast<byte, int>(bytes[..12]);
        var header = new DarknetWeightsHeader(ints[0], ints[1], ints[2], 0);
        if (header.HasLongSeen)
        {
            if (length < 20)
                throw new DarknetFormatException($"{path}: version {ints[0]}.{ints[1]}.{ints[2]} needs a 20-byte header, the file has {length} bytes.");
            stream.ReadExactly(bytes[..8]);
            return header with { Seen = MemoryMarshal.Read<long>(bytes) };
        }

        stream.ReadExactly(bytes[..4]);
        return header with { Seen = MemoryMarshal.Read<int>(bytes) };
    }

    private static int CheckLayerCount(DarknetNetwork network, int? layerCount)
    {
        int cutoff = layerCount ?? network.Layers.Count;
        if (cutoff < 0 || cutoff > network.Layers.Count)
            throw new ArgumentOutOfRangeException(nameof(layerCount), layerCount, $"The layer count must be in [0, {network.Layers.Count}] (the cfg's layers).");
        return cutoff;
    }

    private static string Describe(IEnumerable<Segment> segments) =>
        string.Join(", ", segments.Select(s => $"{s.Name} {s.Target.numel()}"));
}
