using Microsoft.ML.DeepExtensions.Internals;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>Selective search region proposals on ML.NET's <c>mlContext.Transforms</c>.</summary>
public static class SelectiveSearchCatalog
{
    /// <summary>
    /// Proposes object regions with selective search (<see cref="SelectiveSearch"/>, OpenCV's algorithm and results):
    /// <code>
    /// var pipeline = ml.Transforms.LoadImages("Image", imageFolder, "Path")
    ///     .Append(ml.Transforms.ProposeRegions());   // Proposals: x0 y0 x1 y1 per box, best first
    /// </code>
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The proposal column (variable-length Single vector). Defaults to <c>Proposals</c>.</param>
    /// <param name="imageColumnName">The <c>MLImage</c> column. Defaults to <c>Image</c>.</param>
    /// <param name="mode">Fast or quality. Defaults to <see cref="SelectiveSearchMode.Fast"/>.</param>
    /// <param name="maxProposals">Proposals kept per image (0: all). Defaults to 2000.</param>
    public static SelectiveSearchEstimator ProposeRegions(this TransformsCatalog catalog, string outputColumnName = "Proposals",
        string imageColumnName = "Image", SelectiveSearchMode mode = SelectiveSearchMode.Fast, int maxProposals = 2000) =>
        ProposeRegions(catalog, new SelectiveSearchTransformer.Options
        {
            OutputColumnName = outputColumnName,
            ImageColumnName = imageColumnName,
            Mode = mode,
            MaxProposals = maxProposals,
        });

    /// <summary>Proposes object regions with selective search; see <see cref="SelectiveSearchTransformer.Options"/> for the defaults.</summary>
    public static SelectiveSearchEstimator ProposeRegions(this TransformsCatalog catalog, SelectiveSearchTransformer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new SelectiveSearchEstimator(new SelectiveSearchTransformer(MlNetInternals.GetEnvironment(catalog), options));
    }
}
