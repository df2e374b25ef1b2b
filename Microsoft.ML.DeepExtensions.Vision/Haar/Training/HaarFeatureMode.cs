namespace Microsoft.ML.DeepExtensions.Vision.Haar.Training;

/// <summary>
/// Which Haar-like features the trainer chooses from, as <c>opencv_traincascade -mode</c>.
/// </summary>
public enum HaarFeatureMode
{
    /// <summary>Upright two-rectangle edges (horizontal, vertical), three-rectangle lines and the four-rectangle diagonal (Viola &amp; Jones).</summary>
    Basic,

    /// <summary><see cref="Basic"/> plus four-part lines and the center-surround feature (Lienhart &amp; Maydt).</summary>
    Core,

    /// <summary><see cref="Core"/> plus the edges and lines turned by 45°.</summary>
    All,
}
