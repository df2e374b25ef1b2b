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
        Imaging.ImageColumns.Check(inputSchema, name);
        return columns.Append(inputSchema);
    }
}
