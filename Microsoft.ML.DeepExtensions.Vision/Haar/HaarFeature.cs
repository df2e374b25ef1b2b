namespace Microsoft.ML.DeepExtensions.Vision.Haar;

/// <summary>
/// A Haar-like feature: two or three weighted rectangles, upright or turned by 45°
/// (Viola &amp; Jones 2001; tilted features: Lienhart &amp; Maydt 2002).
/// </summary>
public sealed class HaarFeature
{
    /// <summary>The most rectangles a feature may have (as in OpenCV's cascades).</summary>
    public const int MaxRectangles = 3;

    private readonly HaarRectangle[] _rectangles;

    /// <summary>Creates a feature.</summary>
    /// <param name="rectangles">One to three weighted rectangles.</param>
    /// <param name="tilted">Whether the rectangles are turned by 45°. Defaults to false.</param>
    public HaarFeature(IEnumerable<HaarRectangle> rectangles, bool tilted = false)
    {
        ArgumentNullException.ThrowIfNull(rectangles);
        _rectangles = rectangles.ToArray();
        if (_rectangles.Length is < 1 or > MaxRectangles)
            throw new ArgumentException($"A Haar feature must have 1 to {MaxRectangles} rectangles, got {_rectangles.Length}.", nameof(rectangles));
        foreach (var r in _rectangles)
        {
            if (r.Width <= 0 || r.Height <= 0)
                throw new ArgumentException($"Rectangle sizes must be positive, got {r.Width}x{r.Height}.", nameof(rectangles));
            if (!float.IsFinite(r.Weight))
                throw new ArgumentException($"Rectangle weights must be finite, got {r.Weight}.", nameof(rectangles));
        }
        Tilted = tilted;
    }

    /// <summary>The weighted rectangles (one to three).</summary>
    public IReadOnlyList<HaarRectangle> Rectangles => _rectangles;

    /// <summary>Whether the rectangles are turned by 45° (read from the tilted integral image).</summary>
    public bool Tilted { get; }

    /// <summary>
    /// Whether every pixel the feature reads lies inside a window of the given size
    /// (for a tilted rectangle the corners (x, y), (x - h, y + h), (x + w, y + w) and
    /// (x + w - h, y + w + h) of the tilted integral image).
    /// </summary>
    public bool FitsWindow(int windowWidth, int windowHeight)
    {
        foreach (var r in _rectangles)
        {
            bool fits = Tilted
                ? r.X - r.Height >= 0 && r.X + r.Width <= windowWidth && r.Y >= 0 && r.Y + r.Width + r.Height <= windowHeight
                : r.X >= 0 && r.Y >= 0 && r.X + r.Width <= windowWidth && r.Y + r.Height <= windowHeight;
            if (!fits)
                return false;
        }
        return true;
    }
}
