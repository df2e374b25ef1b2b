using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// <c>[route]</c>: the outputs of the layers in <c>layers=</c> (negative: relative to this layer, else absolute
/// indices), concatenated along the channels; they must share their height and width. With AlexeyAB's
/// <c>groups=G group_id=g</c>, each source contributes only its g-th of G equal channel slices.
/// </summary>
public sealed class DarknetRouteLayer : DarknetLayer
{
    private readonly int[] _sources;

    internal DarknetRouteLayer(int index, DarknetSection section, IReadOnlyList<DarknetShape> shapes)
        : this(index, section, shapes, ReadSources(index, section))
    {
    }

    private DarknetRouteLayer(int index, DarknetSection section, IReadOnlyList<DarknetShape> shapes, int[] sources)
        : base("DarknetRoute", index, section, OutputOf(section, shapes, sources))
    {
        _sources = sources;
        Groups = section.GetInt("groups", 1);
        GroupId = section.GetInt("group_id", 0);
    }

    /// <inheritdoc/>
    public override IReadOnlyList<int> Sources => _sources;

    /// <summary>Channel slices per source (<c>groups=</c>; default 1, the whole output).</summary>
    public int Groups { get; }

    /// <summary>The slice taken from each source (<c>group_id=</c>; default 0).</summary>
    public int GroupId { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, IReadOnlyList<Tensor?> outputs)
    {
        var parts = _sources.Select(s => Slice(outputs[s]!)).ToArray();
        try
        {
            return parts.Length == 1 ? parts[0].alias() : cat(parts, 1);
        }
        finally
        {
            foreach (var part in parts)
                part.Dispose();
        }
    }

    private Tensor Slice(Tensor output)
    {
        if (Groups == 1)
            return output.alias();
        long size = output.shape[1] / Groups;
        return output.narrow(1, GroupId * size, size);
    }

    private static int[] ReadSources(int index, DarknetSection section)
    {
        var layers = section.GetInts("layers") ?? throw section.Error("needs 'layers=' (the layers it concatenates).");
        if (layers.Length == 0)
            throw section.Error("layers", "'layers' is empty.");
        return layers.Select(l => DarknetShortcutLayer.ResolveIndex(index, section, "layers", l)).ToArray();
    }

    private static DarknetShape OutputOf(DarknetSection section, IReadOnlyList<DarknetShape> shapes, int[] sources)
    {
        int groups = section.GetInt("groups", 1);
        int groupId = section.GetInt("group_id", 0);
        if (groups < 1 || groupId < 0 || groupId >= groups)
            throw section.Error("group_id", $"'groups={groups}' and 'group_id={groupId}' must satisfy 0 <= group_id < groups.");
        var first = shapes[sources[0]];
        int channels = 0;
        foreach (int source in sources)
        {
            var shape = shapes[source];
            if (shape.Height != first.Height || shape.Width != first.Width)
            {
                throw section.Error("layers",
                    $"layer {source} outputs {shape} but layer {sources[0]} outputs {first}: routed layers must have the same width and height.");
            }

            if (shape.Channels % groups != 0)
                throw section.Error("groups", $"'groups={groups}' does not divide the {shape.Channels} channels of layer {source}.");
            channels += shape.Channels / groups;
        }

        return first with { Channels = channels };
    }
}
