namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

public sealed partial class SelectiveSearchTransformer
{
    /// <summary>
    /// Settings of <see cref="SelectiveSearchCatalog.ProposeRegions(TransformsCatalog, Options)"/>: the
    /// <see cref="SelectiveSearchOptions"/> plus the columns.
    /// </summary>
    public sealed class Options : SelectiveSearchOptions
    {
        /// <summary>The input image column (<c>MLImage</c>, from <c>LoadImages</c> or <c>ResizeImages</c>). Defaults to <c>Image</c>.</summary>
        public string ImageColumnName { get; set; } = "Image";

        /// <summary>
        /// The output column: a variable-length Single vector, x0 y0 x1 y1 per proposal in the image's pixels (the box
        /// covers columns x0 .. x1 − 1), best ranked first. Defaults to <c>Proposals</c>.
        /// </summary>
        public string OutputColumnName { get; set; } = "Proposals";

        /// <summary>Images read ahead per batch in <c>Transform</c> (each is searched on its own). Defaults to 4.</summary>
        public int BatchSize { get; set; } = 4;

        internal void ValidateColumns()
        {
            if (string.IsNullOrWhiteSpace(ImageColumnName))
                throw new ArgumentException("ImageColumnName must name the image column.", nameof(ImageColumnName));
            if (string.IsNullOrWhiteSpace(OutputColumnName))
                throw new ArgumentException("OutputColumnName must name the output column.", nameof(OutputColumnName));
            if (BatchSize <= 0)
                throw new ArgumentOutOfRangeException(nameof(BatchSize), $"BatchSize must be at least 1, got {BatchSize}.");
        }
    }
}
