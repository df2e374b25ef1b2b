namespace Microsoft.ML.DeepExtensions.Vision.Detection;

/// <summary>
/// The estimator of a detector that needs no training (a pretrained ONNX model, a Haar cascade):
/// <see cref="Fit"/> checks the data's schema and returns the detector, so it can be appended to a pipeline
/// like any ML.NET transform; <see cref="GetOutputSchema"/> reports the detection columns for the
/// estimators that follow (e.g. <c>MapKeyToValue("PredictedLabel")</c>).
/// </summary>
/// <typeparam name="TTransformer">The detector's transformer type.</typeparam>
public sealed class ObjectDetectionEstimator<TTransformer> : IEstimator<TTransformer>
    where TTransformer : ObjectDetectionTransformer
{
    private readonly TTransformer _transformer;

    /// <param name="transformer">The detector every <see cref="Fit"/> returns.</param>
    public ObjectDetectionEstimator(TTransformer transformer)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        _transformer = transformer;
    }

    /// <summary>Returns the detector after checking that <paramref name="input"/> has its image column.</summary>
    public TTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _transformer.CheckImageColumn(input.Schema);
        return _transformer;
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return OutputSchema(inputSchema, _transformer.ImageColumnName, _transformer.Columns);
    }

    /// <summary>The detection columns appended to <paramref name="inputSchema"/>, after checking its image column (shared with detectors that train).</summary>
    internal static SchemaShape OutputSchema(SchemaShape inputSchema, string name, DetectionColumns columns)
    {
        var found = inputSchema.Where(c => c.Name == name).ToArray();
        if (found.Length == 0)
            throw new ArgumentOutOfRangeException(name, $"Image column '{name}' not found in the data. Available columns: {string.Join(", ", inputSchema.Select(c => c.Name))}.");
        var column = found[^1];
        if (column.Kind != SchemaShape.Column.VectorKind.Scalar || column.ItemType is not Microsoft.ML.Transforms.Image.ImageDataViewType)
            throw new ArgumentOutOfRangeException(name, $"Schema mismatch for image column '{name}': expected Image (from LoadImages or ResizeImages), got {column.ItemType}.");
        return columns.Append(inputSchema);
    }
}
