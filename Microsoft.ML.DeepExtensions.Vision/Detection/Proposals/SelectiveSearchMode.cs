namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// The diversification strategies of selective search (Uijlings et al., section 5.2), as OpenCV's
/// <c>switchToSingleStrategy</c>, <c>switchToSelectiveSearchFast</c> and <c>switchToSelectiveSearchQuality</c> set them up.
/// </summary>
public enum SelectiveSearchMode
{
    /// <summary>One run: HSV, k = <c>BaseK</c> (200 by default), colour + texture + size + fill.</summary>
    Single,

    /// <summary>
    /// "Selective Search Fast": colour spaces HSV and Lab; k = base, base + inc, base + 2·inc; similarities
    /// C+T+S+F and T+S+F: 12 groupings.
    /// </summary>
    Fast,

    /// <summary>
    /// "Selective Search Quality": colour spaces HSV, Lab, intensity, hue (blue in OpenCV 4.6, whose hue plane is
    /// overwritten by the blue one, and here too, to agree with it) and rgI; k = base .. base + 4·inc; similarities
    /// C+T+S+F, T+S+F, F and S: 100 groupings, several times slower than <see cref="Fast"/>, higher recall.
    /// </summary>
    Quality,
}
