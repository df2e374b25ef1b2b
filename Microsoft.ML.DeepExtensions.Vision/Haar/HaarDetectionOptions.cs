using System.Drawing;

namespace Microsoft.ML.DeepExtensions.Vision.Haar;

/// <summary>
/// Parameters of a multi-scale Haar scan, with the meaning and defaults of OpenCV's
/// <c>CascadeClassifier::detectMultiScale</c>.
/// </summary>
public sealed class HaarDetectionOptions
{
    /// <summary>
    /// How much the search window grows from one pyramid level to the next (the image is shrunk by
    /// this factor instead). Must be greater than 1. Defaults to 1.1.
    /// </summary>
    public double ScaleFactor { get; set; } = 1.1;

    /// <summary>
    /// How many overlapping raw hits a box needs, beyond itself, to be kept: groups of at most this
    /// many hits are dropped. 0 turns grouping off and returns every raw hit. Must be zero or positive.
    /// Defaults to 3.
    /// </summary>
    public int MinNeighbors { get; set; } = 3;

    /// <summary>Smallest object (window) size searched; <see cref="Size.Empty"/> for no lower limit. Defaults to empty.</summary>
    public Size MinSize { get; set; } = Size.Empty;

    /// <summary>
    /// Largest object (window) size searched; a zero width or height (e.g. <see cref="Size.Empty"/>)
    /// means the image size, as in OpenCV. Defaults to empty.
    /// </summary>
    public Size MaxSize { get; set; } = Size.Empty;

    /// <summary>
    /// Threads scanning the rows of a pyramid level: 1 scans on the calling thread only, -1 uses
    /// as many as the thread pool offers. Results are identical either way. Defaults to -1.
    /// </summary>
    public int MaxDegreeOfParallelism { get; set; } = -1;

    internal bool HasMaxSize => MaxSize.Width != 0 && MaxSize.Height != 0;

    /// <summary>Throws when a value is out of range, naming the option and the value.</summary>
    public void Validate()
    {
        if (!(ScaleFactor > 1) || double.IsInfinity(ScaleFactor))
            throw new ArgumentOutOfRangeException(nameof(ScaleFactor), ScaleFactor, $"{nameof(ScaleFactor)} must be a finite number greater than 1, got {ScaleFactor}.");
        if (MinNeighbors < 0)
            throw new ArgumentOutOfRangeException(nameof(MinNeighbors), MinNeighbors, $"{nameof(MinNeighbors)} must be zero or positive, got {MinNeighbors}.");
        if (MinSize.Width < 0 || MinSize.Height < 0)
            throw new ArgumentOutOfRangeException(nameof(MinSize), MinSize, $"{nameof(MinSize)} must not be negative, got {MinSize.Width}x{MinSize.Height}.");
        if (MaxSize.Width < 0 || MaxSize.Height < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxSize), MaxSize, $"{nameof(MaxSize)} must not be negative, got {MaxSize.Width}x{MaxSize.Height}.");
        if (HasMaxSize && (MinSize.Width > MaxSize.Width || MinSize.Height > MaxSize.Height))
            throw new ArgumentException($"{nameof(MinSize)} {MinSize.Width}x{MinSize.Height} must not exceed {nameof(MaxSize)} {MaxSize.Width}x{MaxSize.Height}.", nameof(MinSize));
        if (MaxDegreeOfParallelism == 0 || MaxDegreeOfParallelism < -1)
            throw new ArgumentOutOfRangeException(nameof(MaxDegreeOfParallelism), MaxDegreeOfParallelism, $"{nameof(MaxDegreeOfParallelism)} must be -1 or positive, got {MaxDegreeOfParallelism}.");
    }
}
