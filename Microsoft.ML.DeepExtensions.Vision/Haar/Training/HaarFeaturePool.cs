namespace Microsoft.ML.DeepExtensions.Vision.Haar.Training;

/// <summary>
/// Every Haar-like feature of a <see cref="HaarFeatureMode"/> that fits a detection window: each
/// prototype at every position and every integer scale of its cells (Viola &amp; Jones 2001; the core
/// and tilted prototypes of Lienhart &amp; Maydt 2002). A prototype is written as the whole area with
/// weight -1 plus its inner part(s) weighted so that a flat window gives 0, the way OpenCV's cascade
/// files store features. For a 24x24 window the modes give 162,336 (basic), 210,400 (core) and
/// 261,600 (all) features.
/// </summary>
public static class HaarFeaturePool
{
    /// <summary>Generates the pool, in a fixed order (so training is repeatable).</summary>
    /// <param name="windowWidth">Window width in pixels, at least 2.</param>
    /// <param name="windowHeight">Window height in pixels, at least 2.</param>
    /// <param name="mode">Which prototypes to use.</param>
    public static IReadOnlyList<HaarFeature> Generate(int windowWidth, int windowHeight, HaarFeatureMode mode)
    {
        if (windowWidth < 2 || windowHeight < 2)
            throw new ArgumentOutOfRangeException(nameof(windowWidth), $"The window must be at least 2x2 pixels to hold a Haar feature, got {windowWidth}x{windowHeight}.");
        if (!Enum.IsDefined(mode))
            throw new ArgumentOutOfRangeException(nameof(mode), $"Unknown feature mode {mode}.");
        int w = windowWidth, h = windowHeight;
        var pool = new List<HaarFeature>();
        void Add(bool tilted, params HaarRectangle[] rectangles) => pool.Add(new HaarFeature(rectangles, tilted));

        for (int x = 0; x < w; x++)
        for (int y = 0; y < h; y++)
        for (int dx = 1; dx <= w; dx++)
        for (int dy = 1; dy <= h; dy++)
        {
            // Upright: edges, lines, diagonal.
            if (x + 2 * dx <= w && y + dy <= h)
                Add(false, new(x, y, 2 * dx, dy, -1), new(x + dx, y, dx, dy, 2));
            if (x + dx <= w && y + 2 * dy <= h)
                Add(false, new(x, y, dx, 2 * dy, -1), new(x, y + dy, dx, dy, 2));
            if (x + 3 * dx <= w && y + dy <= h)
                Add(false, new(x, y, 3 * dx, dy, -1), new(x + dx, y, dx, dy, 3));
            if (x + dx <= w && y + 3 * dy <= h)
                Add(false, new(x, y, dx, 3 * dy, -1), new(x, y + dy, dx, dy, 3));
            if (x + 2 * dx <= w && y + 2 * dy <= h)
                Add(false, new(x, y, 2 * dx, 2 * dy, -1), new(x, y, dx, dy, 2), new(x + dx, y + dy, dx, dy, 2));
            if (mode == HaarFeatureMode.Basic)
                continue;

            // Core: four-part lines and center-surround.
            if (x + 4 * dx <= w && y + dy <= h)
                Add(false, new(x, y, 4 * dx, dy, -1), new(x + dx, y, 2 * dx, dy, 2));
            if (x + dx <= w && y + 4 * dy <= h)
                Add(false, new(x, y, dx, 4 * dy, -1), new(x, y + dy, dx, 2 * dy, 2));
            if (x + 3 * dx <= w && y + 3 * dy <= h)
                Add(false, new(x, y, 3 * dx, 3 * dy, -1), new(x + dx, y + dy, dx, dy, 9));
            if (mode == HaarFeatureMode.Core)
                continue;

            // Tilted (45°): the top corner is (x, y), the width runs down-right, the height down-left,
            // so a rectangle w x h needs x - h >= 0, x + w <= W and y + w + h <= H.
            if (x + 2 * dx <= w && y + 2 * dx + dy <= h && x - dy >= 0)
                Add(true, new(x, y, 2 * dx, dy, -1), new(x, y, dx, dy, 2));
            if (x + dx <= w && y + dx + 2 * dy <= h && x - 2 * dy >= 0)
                Add(true, new(x, y, dx, 2 * dy, -1), new(x, y, dx, dy, 2));
            if (x + 3 * dx <= w && y + 3 * dx + dy <= h && x - dy >= 0)
                Add(true, new(x, y, 3 * dx, dy, -1), new(x + dx, y + dx, dx, dy, 3));
            if (x + dx <= w && y + dx + 3 * dy <= h && x - 3 * dy >= 0)
                Add(true, new(x, y, dx, 3 * dy, -1), new(x - dy, y + dy, dx, dy, 3));
            if (x + 4 * dx <= w && y + 4 * dx + dy <= h && x - dy >= 0)
                Add(true, new(x, y, 4 * dx, dy, -1), new(x + dx, y + dx, 2 * dx, dy, 2));
            if (x + dx <= w && y + dx + 4 * dy <= h && x - 4 * dy >= 0)
                Add(true, new(x, y, dx, 4 * dy, -1), new(x - dy, y + dy, dx, 2 * dy, 2));
        }
        return pool;
    }
}
