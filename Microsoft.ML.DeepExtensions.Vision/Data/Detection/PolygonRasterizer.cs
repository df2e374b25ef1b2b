namespace Microsoft.ML.DeepExtensions.Vision.Data.Detection;

/// <summary>
/// Fills a polygon into a binary mask by scanlines: pixel (x, y) is set when its centre (x + 0.5, y + 0.5) lies
/// inside the polygon by the even-odd rule. Edges are taken half-open in y (a vertex on the scanline is counted
/// once) and every edge's crossing is computed from its lower end, so an edge traversed twice in opposite
/// directions (the zero-width bridge that joins the parts of a YOLO segment line) cancels exactly.
/// </summary>
internal static class PolygonRasterizer
{
    /// <summary>Sets to 1 the pixels of <paramref name="mask"/> (row-major, <paramref name="width"/> x <paramref name="height"/>) inside polygon <paramref name="xy"/> (x y pairs).</summary>
    public static void Fill(ReadOnlySpan<float> xy, byte[] mask, int width, int height)
    {
        int points = xy.Length / 2;
        if (points < 3)
            return;
        float minY = float.MaxValue, maxY = float.MinValue;
        for (int i = 0; i < points; i++)
        {
            minY = MathF.Min(minY, xy[2 * i + 1]);
            maxY = MathF.Max(maxY, xy[2 * i + 1]);
        }
        int firstRow = Math.Max(0, (int)MathF.Ceiling(minY - 0.5f));
        int lastRow = Math.Min(height - 1, (int)MathF.Ceiling(maxY - 0.5f) - 1);
        var crossings = new List<double>();
        for (int row = firstRow; row <= lastRow; row++)
        {
            double y = row + 0.5;
            crossings.Clear();
            for (int i = 0; i < points; i++)
            {
                int j = (i + 1) % points;
                double ax = xy[2 * i], ay = xy[2 * i + 1], bx = xy[2 * j], by = xy[2 * j + 1];
                if (ay > by)
                    (ax, ay, bx, by) = (bx, by, ax, ay);
                if (ay <= y && y < by)
                    crossings.Add(ax + (y - ay) * (bx - ax) / (by - ay));
            }
            crossings.Sort();
            for (int k = 0; k + 1 < crossings.Count; k += 2)
            {
                // Pixel x is inside when crossings[k] <= x + 0.5 < crossings[k + 1].
                int from = Math.Max(0, (int)Math.Ceiling(crossings[k] - 0.5));
                int to = Math.Min(width, (int)Math.Ceiling(crossings[k + 1] - 0.5));
                for (int x = from; x < to; x++)
                    mask[row * width + x] = 1;
            }
        }
    }
}
