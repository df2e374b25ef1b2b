using Microsoft.ML.DeepExtensions.Networks;

namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>
/// One walk of shape inference through a layer tree: the summary rows, the parameter and
/// multiply-add totals, and the network input that error messages mention.
/// </summary>
internal sealed class ShapeTrace(long[] networkInput)
{
    private readonly List<LayerSummary> _rows = new();
    private int _collapsed;

    /// <summary>The rows to show: leaves and groups, except what lies inside a collapsed block.</summary>
    public IReadOnlyList<LayerSummary> Rows => _rows;

    public long TrainableParameters { get; private set; }

    /// <summary>Floating-point buffers such as batch normalization's running mean and variance.</summary>
    public long Buffers { get; private set; }

    public long MultiplyAdds { get; private set; }

    /// <summary>The refusal for the layer at <paramref name="path"/>: "Layer 'p' (description) problem for a C×H×W input image."</summary>
    public InputShapeException Refuse(string path, Layer layer, string problem) =>
        new($"Layer '{(path.Length == 0 ? layer.GetType().Name : path)}' ({layer.Description}) {problem} for a {ImageShape.Format(networkInput)} input image.", path);

    public void AddLeaf(string path, string type, long[] output, long trainable, long buffers, long multiplyAdds, int depth)
    {
        TrainableParameters += trainable;
        Buffers += buffers;
        MultiplyAdds += multiplyAdds;
        if (_collapsed == 0 && depth > 0)
            _rows.Add(new LayerSummary(path, type, output, trainable + buffers) { Depth = depth - 1 });
    }

    /// <summary>
    /// Starts a container: its row goes before its children's, and it is completed by
    /// <see cref="EndGroup"/> once its output shape is known. Inside a collapsed group
    /// (a residual or inception block) no rows are recorded.
    /// </summary>
    public Group BeginGroup(string path, string type, int depth, bool collapse)
    {
        var group = new Group(path, type, depth, _collapsed == 0 && depth > 0 ? _rows.Count : -1, TrainableParameters + Buffers, collapse);
        if (group.Row >= 0)
            _rows.Add(null!); // placeholder, filled by EndGroup
        if (collapse)
            _collapsed++;
        return group;
    }

    public void EndGroup(Group group, long[] output)
    {
        if (group.Collapse)
            _collapsed--;
        if (group.Row >= 0)
            _rows[group.Row] = new LayerSummary(group.Path, group.Type, output, TrainableParameters + Buffers - group.ParametersBefore)
            {
                Depth = group.Depth - 1,
                IsGroup = true,
            };
    }

    /// <summary>Refuses the group's check failure (e.g. a residual block whose paths disagree) at its path.</summary>
    public InputShapeException Refuse(Group group, Layer layer, string problem) => Refuse(group.Path, layer, problem);

    internal sealed record Group(string Path, string Type, int Depth, int Row, long ParametersBefore, bool Collapse);
}
