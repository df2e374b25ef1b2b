namespace Microsoft.ML.DeepExtensions.Vision.Haar;

/// <summary>
/// One level of the detection pyramid, sized as OpenCV sizes it: the image shrinks by the
/// single-precision <see cref="Scale"/> to <c>round(W / scale) x round(H / scale)</c>; the cascade's
/// window slides over it in steps of <see cref="Step"/> pixels (1 from scale 2 on, 2 below); a hit
/// at (x, y) maps back to the box <c>(round(x·scale), round(y·scale), round(w·scale), round(h·scale))</c>.
/// </summary>
internal readonly record struct PyramidLevel(float Scale, int Width, int Height, int Step, int WindowWidth, int WindowHeight)
{
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
                WindowHeight: RoundEven(windowHeight * scale)));
        }
        return levels;
    }

    // cvRound: nearest integer, ties to even.
    internal static int RoundEven(double value) => (int)Math.Round(value, MidpointRounding.ToEven);

    internal static int RoundEven(float value) => (int)MathF.Round(value, MidpointRounding.ToEven);
}
