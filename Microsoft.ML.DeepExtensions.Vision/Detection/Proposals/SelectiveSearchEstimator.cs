using Microsoft.ML.DeepExtensions.Internals;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// The estimator of <see cref="SelectiveSearchTransformer"/>: nothing to learn, so <see cref="Fit"/> checks the image
/// column and returns the transformer; <see cref="GetOutputSchema"/> reports the proposal column.
/// </summary>
public sealed class SelectiveSearchEstimator : IEstimator<SelectiveSearchTransformer>
{
    private readonly SelectiveSearchTransformer _transformer;

    internal SelectiveSearchEstimator(SelectiveSearchTransformer transformer) => _transformer = transformer;

    public SelectiveSearchTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _transformer.CheckImageColumn(input.Schema);
        return _transformer;
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        Imaging.ImageColumns.Check(inputSchema, _transformer.ImageColumnName);
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(_transformer.OutputColumnName, new Microsoft.ML.Data.VectorDataViewType(Microsoft.ML.Data.NumberDataViewType.Single));
        var added = MlNetInternals.ToSchemaShape(builder.ToSchema());
        return new SchemaShape(inputSchema.Where(c => c.Name != _transformer.OutputColumnName).Concat(added));
    }
}
