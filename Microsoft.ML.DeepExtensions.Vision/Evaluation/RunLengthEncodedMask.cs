using System.Text;

namespace Microsoft.ML.DeepExtensions.Vision.Evaluation;

/// <summary>
/// A binary mask of a whole image in COCO's run-length encoding: the pixels in column-major order (down the first
/// column, then the next), as alternating run lengths starting with a run of zeros (possibly empty). This is what
/// pycocotools' <c>mask.encode</c> makes and what COCO files hold as <c>{"size": [h, w], "counts": ...}</c>.
/// </summary>
public sealed class RunLengthEncodedMask
{
    private readonly uint[] _counts;

    /// <param name="height">Image height, at least 0.</param>
    /// <param name="width">Image width, at least 0.</param>
    /// <param name="counts">Run lengths, zeros first; they must add up to <c>height · width</c>. Not copied.</param>
    /// <exception cref="ArgumentException">The runs do not cover the image exactly.</exception>
    public RunLengthEncodedMask(int height, int width, uint[] counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (height < 0 || width < 0)
            throw new ArgumentOutOfRangeException(nameof(height), $"A mask's size must not be negative, got {height}x{width} (height x width).");
        long sum = 0;
        foreach (uint c in counts)
            sum += c;
        if (sum != (long)height * width)
            throw new ArgumentException($"Run lengths must add up to height x width = {height} x {width} = {(long)height * width} pixels, got {sum}.", nameof(counts));
        Height = height;
        Width = width;
        _counts = counts;
    }

    public int Height { get; }

    public int Width { get; }

    /// <summary>The run lengths, zeros first, column-major.</summary>
    public ReadOnlyMemory<uint> Counts => _counts;

    /// <summary>The number of object pixels (pycocotools' <c>mask.area</c>).</summary>
    public long Area()
    {
        long area = 0;
        for (int i = 1; i < _counts.Length; i += 2)
            area += _counts[i];
        return area;
    }

    /// <summary>Encodes a column-major mask (<c>pixels[x * height + y]</c>, nonzero = object).</summary>
    public static RunLengthEncodedMask Encode(ReadOnlySpan<byte> columnMajor, int height, int width)
    {
        if (columnMajor.Length != (long)height * width)
            throw new ArgumentException($"A {height}x{width} mask needs {(long)height * width} pixels, got {columnMajor.Length}.", nameof(columnMajor));
        var counts = new List<uint>();
        bool current = false;
        uint run = 0;
        foreach (byte p in columnMajor)
        {
            if ((p != 0) != current)
            {
                counts.Add(run);
                run = 0;
                current = !current;
            }
            run++;
        }
        counts.Add(run);
        return new RunLengthEncodedMask(height, width, counts.ToArray());
    }

    /// <summary>The mask as column-major pixels (<c>[x * Height + y]</c>, 1 = object).</summary>
    public byte[] Decode()
    {
        var pixels = new byte[(long)Height * Width];
        int position = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            if (i % 2 == 1)
                pixels.AsSpan(position, (int)_counts[i]).Fill(1);
            position += (int)_counts[i];
        }
        return pixels;
    }

    /// <summary>An <see cref="Detection.InstanceMask"/> placed on an image of <paramref name="height"/> × <paramref name="width"/>
    /// (its pixels outside the image are dropped).</summary>
    public static RunLengthEncodedMask FromInstanceMask(Detection.InstanceMask mask, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(mask);
        var pixels = new byte[(long)height * width];
        var source = mask.Pixels.Span;
        for (int y = Math.Max(0, mask.Top); y < Math.Min(height, mask.Top + mask.Height); y++)
        {
            for (int x = Math.Max(0, mask.Left); x < Math.Min(width, mask.Left + mask.Width); x++)
                pixels[x * height + y] = source[(y - mask.Top) * mask.Width + x - mask.Left] != 0 ? (byte)1 : (byte)0;
        }
        return Encode(pixels, height, width);
    }

    /// <summary>The union of masks of one size (pycocotools' <c>mask.merge</c>).</summary>
    public static RunLengthEncodedMask Union(IReadOnlyList<RunLengthEncodedMask> masks)
    {
        ArgumentNullException.ThrowIfNull(masks);
        if (masks.Count == 0)
            throw new ArgumentException("Union needs at least one mask.", nameof(masks));
        if (masks.Count == 1)
            return masks[0];
        int h = masks[0].Height, w = masks[0].Width;
        var pixels = new byte[(long)h * w];
        foreach (var mask in masks)
        {
            if (mask.Height != h || mask.Width != w)
                throw new ArgumentException($"Masks to merge must have one size, got {h}x{w} and {mask.Height}x{mask.Width}.", nameof(masks));
            int position = 0;
            for (int i = 0; i < mask._counts.Length; i++)
            {
                if (i % 2 == 1)
                    pixels.AsSpan(position, (int)mask._counts[i]).Fill(1);
                position += (int)mask._counts[i];
            }
        }
        return Encode(pixels, h, w);
    }

    /// <summary>Object pixels in both masks, and in either (walking both run lists at once).</summary>
    /// <exception cref="ArgumentException">The masks are of different sizes.</exception>
    public static (long Intersection, long Union) Overlap(RunLengthEncodedMask a, RunLengthEncodedMask b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Height != b.Height || a.Width != b.Width)
            throw new ArgumentException($"Masks of different sizes cannot be compared: {a.Height}x{a.Width} and {b.Height}x{b.Width} (height x width).");
        long intersection = 0, union = 0;
        int i = 0, j = 0;
        long leftA = a._counts.Length > 0 ? a._counts[0] : 0, leftB = b._counts.Length > 0 ? b._counts[0] : 0;
        long total = (long)a.Height * a.Width, done = 0;
        while (done < total)
        {
            while (leftA == 0 && i + 1 < a._counts.Length)
                leftA = a._counts[++i];
            while (leftB == 0 && j + 1 < b._counts.Length)
                leftB = b._counts[++j];
            long step = Math.Min(leftA, leftB);
            bool inA = i % 2 == 1, inB = j % 2 == 1;
            if (inA || inB)
                union += step;
            if (inA && inB)
                intersection += step;
            leftA -= step;
            leftB -= step;
            done += step;
        }
        return (intersection, union);
    }

    /// <summary>
    /// The bounding box (x, y, width, height) as pycocotools' <c>mask.toBbox</c> gives it: the columns from the first to
    /// the last object pixel; rows from the first to the last, except that a run of object pixels continuing into the
    /// next column makes the box the image's full height. All zeros for an empty mask.
    /// </summary>
    public (double X, double Y, double Width, double Height) BoundingBox()
    {
        int m = _counts.Length / 2 * 2;
        if (m == 0 || Height == 0)
            return (0, 0, 0, 0);
        long xs = Width, ys = Height, xe = 0, ye = 0, cc = 0, xp = 0;
        for (int j = 0; j < m; j++)
        {
            cc += _counts[j];
            long t = cc - j % 2, y = t % Height, x = (t - y) / Height;
            if (j % 2 == 0)
                xp = x;
            else if (xp < x)
                (ys, ye) = (0, Height - 1);
            xs = Math.Min(xs, x);
            xe = Math.Max(xe, x);
            ys = Math.Min(ys, y);
            ye = Math.Max(ye, y);
        }
        return (xs, ys, xe - xs + 1, ye - ys + 1);
    }

    /// <summary>
    /// Reads COCO's compressed counts string: each count is a signed number in 5-bit groups, low group first, as the
    /// characters 48 + group (+ 32 when another group follows); from the fourth count on, the value is a difference
    /// from the count two places before.
    /// </summary>
    /// <exception cref="FormatException">The string is not a valid compressed RLE of that size.</exception>
    public static RunLengthEncodedMask FromCompressedString(string counts, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var values = new List<uint>();
        int p = 0;
        while (p < counts.Length)
        {
            long x = 0;
            int k = 0;
            bool more = true;
            while (more)
            {
                if (p >= counts.Length)
                    throw new FormatException($"Compressed RLE counts end inside a number (at character {p}).");
                int c = counts[p] - 48;
                if (c is < 0 or > 63)
                    throw new FormatException($"Compressed RLE counts hold '{counts[p]}' at character {p}; only characters '0' to 'o' are used.");
                x |= (long)(c & 0x1f) << (5 * k);
                more = (c & 0x20) != 0;
                p++;
                k++;
                if (!more && (c & 0x10) != 0)
                    x |= -1L << (5 * k);
            }
            if (values.Count > 2)
                x += values[^2];
            if (x is < 0 or > uint.MaxValue)
                throw new FormatException($"Compressed RLE counts decode to a run of {x} pixels (run {values.Count}).");
            values.Add((uint)x);
        }
        try
        {
            return new RunLengthEncodedMask(height, width, values.ToArray());
        }
        catch (ArgumentException ex)
        {
            throw new FormatException(ex.Message, ex);
        }
    }

    /// <summary>The compressed counts string (the inverse of <see cref="FromCompressedString"/>).</summary>
    public string ToCompressedString()
    {
        var text = new StringBuilder();
        for (int i = 0; i < _counts.Length; i++)
        {
            long x = _counts[i];
            if (i > 2)
                x -= _counts[i - 2];
            bool more = true;
            while (more)
            {
                int c = (int)(x & 0x1f);
                x >>= 5;
                more = (c & 0x10) != 0 ? x != -1 : x != 0;
                if (more)
                    c |= 0x20;
                text.Append((char)(c + 48));
            }
        }
        return text.ToString();
    }

    /// <summary>
    /// Rasterizes polygons (each x0 y0 x1 y1 ... in pixels) and unites them, as pycocotools' <c>frPyObjects</c> and
    /// <c>merge</c> do for a COCO polygon segmentation (see <see cref="PolygonRasterizer"/> for the rules).
    /// </summary>
    public static RunLengthEncodedMask FromPolygons(IReadOnlyList<IReadOnlyList<double>> polygons, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(polygons);
        if (polygons.Count == 0)
            return new RunLengthEncodedMask(height, width, new[] { (uint)(height * width) });
        return Union(polygons.Select(p => PolygonRasterizer.Rasterize(p, height, width)).ToArray());
    }
}
