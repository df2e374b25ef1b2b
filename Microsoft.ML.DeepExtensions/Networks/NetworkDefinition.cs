using System.Collections.Concurrent;
using Microsoft.ML.DeepExtensions.Internals;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Networks;

/// <summary>
/// Everything needed to rebuild a network's modules (not its weights): saved in model.zip beside
/// the weights, so a loaded model builds the same modules and loads the weights into them.
/// Each kind of network (MLP here, CNN architectures in the Vision package) registers a reader.
/// </summary>
public abstract class NetworkDefinition
{
    private static readonly ConcurrentDictionary<string, Func<BinaryReader, NetworkDefinition>> Readers = new();

    static NetworkDefinition() => Register(MlpNetwork.KindName, MlpNetwork.Read);

    /// <summary>Persistence key of this kind of network.</summary>
    public abstract string Kind { get; }

    /// <summary>Shape of one input row, e.g. <c>[features]</c> or <c>[channels, height, width]</c>.</summary>
    public abstract long[] InputShape { get; }

    /// <summary>Output values per row: 1 for binary classification and regression, the class count for multiclass.</summary>
    public abstract int OutputSize { get; }

    /// <summary>Added to every output after <see cref="OutputScale"/>: the regression target's mean.</summary>
    public double OutputShift { get; private set; }

    /// <summary>Multiplies every output: the regression target's standard deviation.</summary>
    public double OutputScale { get; private set; } = 1;

    /// <summary>
    /// Makes the network predict <c>output · scale + shift</c>. Trainers set the regression target's
    /// mean and standard deviation here, so the layers learn a standardized target whatever its
    /// units (a price in the hundred thousands trains like one around 0) while the network still
    /// predicts, and its loss is still reported, in the label's own units.
    /// </summary>
    internal void RescaleOutput(double shift, double scale)
    {
        if (!double.IsFinite(shift) || !double.IsFinite(scale) || scale <= 0)
            throw new ArgumentOutOfRangeException(nameof(scale), $"Output rescaling needs a finite shift and a positive scale, got {shift} and {scale}.");
        OutputShift = shift;
        OutputScale = scale;
    }

    /// <summary>Creates the modules with freshly initialised weights.</summary>
    public nn.Module<Tensor, Tensor> Build()
    {
        var layers = BuildLayers();
        return OutputShift == 0 && OutputScale == 1
            ? layers
            : nn.Sequential(("layers", layers), ("rescale", new OutputRescaling(OutputShift, OutputScale)));
    }

    /// <summary>Layers, output shapes and parameter counts, as Keras' <c>model.summary()</c>.</summary>
    /// <remarks>
    /// By default the network is built and one zero row runs through it. Definitions that can infer
    /// shapes from their layer descriptions override this to summarize without allocating weights.
    /// </remarks>
    public virtual NetworkSummary Summary() => NetworkSummary.Of(this);

    /// <summary>Creates the layers with freshly initialised weights.</summary>
    protected abstract nn.Module<Tensor, Tensor> BuildLayers();

    /// <summary>Writes the definition's own fields (the kind is written by <see cref="Save"/>).</summary>
    protected abstract void WriteFields(BinaryWriter writer);

    internal void Save(BinaryWriter writer)
    {
        writer.Write(Kind);
        WriteFields(writer);
        writer.Write(OutputShift);
        writer.Write(OutputScale);
    }

    internal static NetworkDefinition Load(BinaryReader reader)
    {
        var kind = reader.ReadString();
        if (!Readers.ContainsKey(kind))
            KnownAssemblies.LoadVision();
        if (!Readers.TryGetValue(kind, out var read))
            throw new InvalidDataException($"The model contains a network of kind '{kind}', which no loaded DeepExtensions assembly knows. Known kinds: {string.Join(", ", Readers.Keys.Order())}.");
        var definition = read(reader);
        double shift = reader.ReadDouble(), scale = reader.ReadDouble();
        if (shift != 0 || scale != 1)
            definition.RescaleOutput(shift, scale);
        return definition;
    }

    /// <summary><c>x · scale + shift</c>, with no weights.</summary>
    private sealed class OutputRescaling(double shift, double scale) : nn.Module<Tensor, Tensor>(nameof(OutputRescaling))
    {
        public override Tensor forward(Tensor input) => input * scale + shift;
    }

    /// <summary>Makes a kind of network loadable from model.zip.</summary>
    protected internal static void Register(string kind, Func<BinaryReader, NetworkDefinition> read) => Readers[kind] = read;

    /// <summary>Writes a shape as a length-prefixed list.</summary>
    protected static void WriteShape(BinaryWriter writer, long[] shape)
    {
        writer.Write(shape.Length);
        foreach (var d in shape)
            writer.Write(d);
    }

    /// <summary>Reads what <see cref="WriteShape"/> wrote, refusing implausible values.</summary>
    protected static long[] ReadShape(BinaryReader reader)
    {
        int rank = reader.ReadInt32();
        if (rank is < 1 or > 8)
            throw new InvalidDataException($"Corrupt network definition: shape rank {rank}.");
        var shape = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            shape[i] = reader.ReadInt64();
            if (shape[i] <= 0)
                throw new InvalidDataException($"Corrupt network definition: dimension {shape[i]}.");
        }
        return shape;
    }
}
