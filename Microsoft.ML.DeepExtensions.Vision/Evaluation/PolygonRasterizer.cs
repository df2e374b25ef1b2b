namespace Microsoft.ML.DeepExtensions.Vision.Evaluation;

/// <summary>
/// Turns one polygon into a <see cref="RunLengthEncodedMask"/> by the rules of COCO's mask API (<c>rleFrPoly</c> in
/// cocoapi's common/maskApi.c), so that polygon ground truth covers exactly the pixels pycocotools gives it:
/// <list type="number">
/// <item>vertices are scaled by 5 and rounded (<c>(int)(5v + 0.5)</c>, truncating toward zero) and the polygon is closed;</item>
/// <item>each edge is walked one step at a time along its longer axis (from its lower end), the other coordinate
/// rounded as <c>(int)(a + slope·t + 0.5)</c>, giving dense boundary points in the polygon's order;</item>
/// <item>wherever consecutive points change column, the column <c>x = min(u, u') or u - 1</c> is mapped back by
/// <c>(x + 0.5)/5 - 0.5</c>; only whole pixel columns inside the image count, and the row
/// <c>ceil(clamp((min(v, v') + 0.5)/5 - 0.5, 0, h))</c> is where the mask toggles in that column;</item>
/// <item>the toggles, as column-major pixel indices sorted with <c>h·w</c> appended, become run lengths (a zero-length
/// run merges its neighbours).</item>
/// </list>
/// </summary>
internal static class PolygonRasterizer
{
    private const double Scale = 5;

    /// <param name="xy">x0, y0, x1, y1, ... in pixels; at least 3 vertices (6 values) for a real polygon (fewer give a degenerate one, as in COCO).</param>
    /// <param name="height">Image height.</param>
    /// <param name="width">Image width.</param>
    public static RunLengthEncodedMask Rasterize(IReadOnlyList<double> xy, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(xy);
        if (xy.Count % 2 != 0)
            throw new ArgumentException($"A polygon needs x, y pairs, got {xy.Count} values.", nameof(xy));
        int k = xy.Count / 2;
        if (k == 0)
            return new RunLengthEncodedMask(height, width, new[] { (uint)(height * width) });
        var x = new int[k + 1];
        var y = new int[k + 1];
        for (int j = 0; j < k; j++)
        {
            x[j] = (int)(Scale * xy[2 * j] + .5);
            y[j] = (int)(Scale * xy[2 * j + 1] + .5);
        }
        x[k] = x[0];
        y[k] = y[0];

        // Dense boundary points, edge by edge.
        var u = new List<int>();
        var v = new List<int>();
        for (int j = 0; j < k; j++)
        {
            int xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
            int dx = Math.Abs(xe - xs), dy = Math.Abs(ys - ye);
            bool flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
            if (flip)
            {
                (xs, xe) = (xe, xs);
                (ys, ye) = (ye, ys);
            }
            double slope = dx >= dy ? (double)(ye - ys) / dx : (double)(xe - xs) / dy;
            if (dx >= dy)
            {
                for (int d = 0; d <= dx; d++)
                {
                    int t = flip ? dx - d : d;
                    u.Add(t + xs);
                    v.Add((int)(ys + slope * t + .5));
                }
            }
            else
            {
                for (int d = 0; d <= dy; d++)
                {
                    int t = flip ? dy - d : d;
                    v.Add(t + ys);
                    u.Add((int)(xs + slope * t + .5));
                }
            }
        }

        // Where the boundary crosses a pixel column: the row at which that column toggles.
        var toggles = new List<uint>();
        for (int j = 1; j < u.Count; j++)
        {
            if (u[j] == u[j - 1])
                continue;
            double xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
            xd = (xd + .5) / Scale - .5;
            if (Math.Floor(xd) != xd || xd < 0 || xd > width - 1)
                continue;
            double yd = v[j] < v[j - 1] ? v[j] : v[j - 1];
            yd = (yd + .5) / Scale - .5;
            yd = Math.Ceiling(Math.Clamp(yd, 0, height));
            toggles.Add((uint)((int)xd * height + (int)yd));
        }
        toggles.Add((uint)(height * width));
        toggles.Sort();

        // Differences between toggles are the runs; a zero-length run joins its neighbours.
        var runs = new List<uint>(toggles.Count);
        uint previous = 0;
        var differences = new uint[toggles.Count];
        for (int j = 0; j < toggles.Count; j++)
        {
            differences[j] = toggles[j] - previous;
            previous = toggles[j];
        }
        int at = 0;
        runs.Add(differences[at++]);
        while (at < differences.Length)
        {
            if (differences[at] > 0)
            {
                runs.Add(differences[at++]);
            }
            else
            {
                at++;
                if (at < differences.Length)
                    runs[^1] += differences[at++];
            }
        }
        return new RunLengthEncodedMask(height, width, runs.ToArray());
    }
}
