namespace Microsoft.ML.DeepExtensions.Vision.Haar;

/// <summary>
/// One level of the detection pyramid, sized as OpenCV sizes it: the image shrinks by the
/// single-precision <see cref="Scale"/> to <c>round(W / scale) x round(H / scale)</c>; the cascade's
/// window slides over it in steps of <see cref="Step"/> pixels (1 from scale 2 on, 2 below); a hit
/// at (x, y) maps back to the box <c>(round(x·scale), round(y·scale), round(w·scale), round(h·scale))</c>.
/// Window rows are scanned up to <see cref="RowLimit"/> (see <see cref="Plan"/>).
/// </summary>
internal readonly record struct PyramidLevel(float Scale, int Width, int Height, int Step, int WindowWidth, int WindowHeight, int RowLimit)
{
    // OpenCV splits each level's window rows into stripes of whole steps for its thread pool: as many
    // stripes as 32-column blocks of the first level's window positions, each ceil(rows/step/stripes)
    // steps tall. The stripes end at stripes · stripeHeight, which can fall one step short of the
    // level's last window row (when its row count is odd and the step 2); OpenCV never scans that row,
    // so neither do we.
    private const int ColumnsPerStripe = 32;

    /// <summary>
    /// The levels OpenCV scans: factors 1, f, f², ... (in double precision) while the window
    /// <c>round(w·factor) x round(h·factor)</c> fits both the image and the maximum size, skipping
    /// those smaller than the minimum size.
    /// </summary>
    public static List<PyramidLevel> Plan(int imageWidth, int imageHeight, int windowWidth, int windowHeight, HaarDetectionOptions options)
    {
        int maxWidth = options.HasMaxSize ? options.MaxSize.Width : imageWidth;
        int maxHeight = options.HasMaxSize ? options.MaxSize.Height : imageHeight;
        var levels = new List<PyramidLevel>();
        for (double factor = 1; ; factor *= options.ScaleFactor)
        {
            int w = RoundEven(windowWidth * factor), h = RoundEven(windowHeight * factor);
            if (w > maxWidth || h > maxHeight || w > imageWidth || h > imageHeight)
                break;
            if (w < options.MinSize.Width || h < options.MinSize.Height)
                continue;
            float scale = (float)factor;
            levels.Add(new PyramidLevel(
                Scale: scale,
                Width: RoundEven(imageWidth / scale),
                Height: RoundEven(imageHeight / scale),
                Step: scale >= 2 ? 1 : 2,
                WindowWidth: RoundEven(windowWidth * scale),
                WindowHeight: RoundEven(windowHeight * scale),
                RowLimit: 0));
        }
        if (levels.Count == 0)
            return levels;
        int firstColumns = Math.Max(levels[0].Width + 1 - windowWidth, 0);
        int stripes = (firstColumns + ColumnsPerStripe - 1) / ColumnsPerStripe;
        for (int i = 0; i < levels.Count; i++)
        {
            var level = levels[i];
            int rows = Math.Max(level.Height + 1 - windowHeight, 0);
            int stripeHeight = stripes == 0 ? 0 : Math.Max((rows / level.Step + stripes - 1) / stripes, 1) * level.Step;
            levels[i] = level with { RowLimit = Math.Min(stripes * stripeHeight, rows) };
        }
        return levels;
    }

    // cvRound: nearest integer, ties to even.
    internal static int RoundEven(double value) => (int)Math.Round(value, MidpointRounding.ToEven);

    internal static int RoundEven(float value) => (int)MathF.Round(value, MidpointRounding.ToEven);
}
