using Microsoft.ML.DeepExtensions.Internals;

namespace Microsoft.ML.DeepExtensions.Vision.Segmentation;

/// <summary>
/// The estimator of a pretrained <see cref="SemanticSegmenter"/>: <see cref="Fit"/> checks the image column and returns
/// it, so it can be appended to a pipeline; <see cref="GetOutputSchema"/> reports its columns.
/// </summary>
public sealed class SemanticSegmentationEstimator : IEstimator<SemanticSegmenter>
{
    private readonly SemanticSegmenter _segmenter;

    /// <param name="segmenter">The segmenter every <see cref="Fit"/> returns.</param>
    public SemanticSegmentationEstimator(SemanticSegmenter segmenter)
    {
        ArgumentNullException.ThrowIfNull(segmenter);
        _segmenter = segmenter;
    }

    public SemanticSegmenter Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _segmenter.CheckImageColumn(input.Schema);
        return _segmenter;
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        Imaging.ImageColumns.Check(inputSchema, _segmenter.ImageColumnName);
        var builder = new DataViewSchema.Builder();
        _segmenter.AddColumns(builder);
        var added = MlNetInternals.ToSchemaShape(builder.ToSchema());
        var names = added.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        return new SchemaShape(inputSchema.Where(c => !names.Contains(c.Name)).Concat(added));
    }
}
