namespace Microsoft.ML.DeepExtensions.Vision.Detection.Segmentation;

/// <summary>
/// Turns per-detection <see cref="InstanceMask"/>s (Mask R-CNN's output) into the other common forms: one label
/// image for the whole picture, or polygons tracing each mask's outline.
/// </summary>
public static class InstanceMasks
{
    /// <summary>
    /// A label image: <c>labels[y * width + x]</c> is 0 for background and <c>i + 1</c> where detection <c>i</c>'s mask
    /// covers the pixel. Where masks overlap, the earlier detection (the higher score, as detectors order them) wins.
    /// </summary>
    /// <param name="detections">Detections with masks.</param>
    /// <param name="width">The image width.</param>
    /// <param name="height">The image height.</param>
    /// <exception cref="ArgumentException">The detections have no masks.</exception>
    public static int[] ToLabelImage(ObjectDetections detections, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(detections);
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"The image must be at least 1x1, got {width}x{height}.");
        var masks = detections.Masks ?? throw new ArgumentException("These detections have no masks (only Mask R-CNN predicts them).", nameof(detections));
        var labels = new int[width * height];
        for (int i = masks.Count - 1; i >= 0; i--)
        {
            var mask = masks[i];
            var pixels = mask.Pixels.Span;
            for (int y = Math.Max(0, -mask.Top); y < mask.Height && mask.Top + y < height; y++)
            {
                for (int x = Math.Max(0, -mask.Left); x < mask.Width && mask.Left + x < width; x++)
                {
                    if (pixels[y * mask.Width + x] != 0)
                        labels[(mask.Top + y) * width + mask.Left + x] = i + 1;
                }
            }
        }
        return labels;
    }

    /// <summary>
    /// Splits one row's <c>PredictedMasks</c> column back into per-detection masks, using the row's
    /// <c>PredictedBoundingBoxes</c>: detection <c>i</c>'s mask covers columns <c>floor(x0) .. ceil(x1) - 1</c> and rows
    /// <c>floor(y0) .. ceil(y1) - 1</c> of its box (see <see cref="DetectionColumns"/>).
    /// </summary>
    /// <param name="boxes">The row's boxes, x0 y0 x1 y1 per detection.</param>
    /// <param name="masks">The row's masks column.</param>
    /// <exception cref="InvalidDataException">The masks column does not hold exactly the pixels the boxes call for.</exception>
    public static InstanceMask[] FromColumns(ReadOnlySpan<float> boxes, ReadOnlySpan<byte> masks)
    {
        if (boxes.Length % 4 != 0)
            throw new ArgumentException($"Boxes need 4 values each, got {boxes.Length} values.", nameof(boxes));
        var result = new InstanceMask[boxes.Length / 4];
        int offset = 0;
        for (int i = 0; i < result.Length; i++)
        {
            int left = (int)MathF.Floor(boxes[4 * i]), top = (int)MathF.Floor(boxes[4 * i + 1]);
            int width = Math.Max(0, (int)MathF.Ceiling(boxes[4 * i + 2]) - left), height = Math.Max(0, (int)MathF.Ceiling(boxes[4 * i + 3]) - top);
            if (offset + width * height > masks.Length)
                throw new InvalidDataException($"The masks column holds {masks.Length} pixels, fewer than the {result.Length} boxes need (detection {i} needs {width}x{height} from pixel {offset}).");
            result[i] = new InstanceMask(left, top, width, height, masks.Slice(offset, width * height).ToArray());
            offset += width * height;
        }
        if (offset != masks.Length)
            throw new InvalidDataException($"The masks column holds {masks.Length} pixels, but the {result.Length} boxes need {offset}.");
        return result;
    }

    /// <summary>
    /// The outlines of a mask as closed polygons in image coordinates, vertices on pixel corners (a pixel
    /// (x, y) spans x..x+1, y..y+1), collinear points removed. Each 4-connected region gives one outer ring,
    /// clockwise on screen (y down), and one counter-clockwise ring per hole; diagonal neighbours are separate regions.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<(int X, int Y)>> ToPolygons(InstanceMask mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        int w = mask.Width, h = mask.Height;
        var pixels = mask.Pixels;
        bool On(int x, int y) => x >= 0 && y >= 0 && x < w && y < h && pixels.Span[y * w + x] != 0;

        // Directed boundary edges with the object on their right (screen coordinates): one per pixel side that
        // faces the background. Key: start corner; a corner can start two edges (where regions touch diagonally).
        var edges = new Dictionary<(int, int), List<(int X, int Y)>>();
        void Add(int x0, int y0, int x1, int y1)
        {
            if (!edges.TryGetValue((x0, y0), out var list))
                edges[(x0, y0)] = list = new List<(int, int)>(1);
            list.Add((x1, y1));
        }
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                if (!On(x, y))
                    continue;
                if (!On(x, y - 1)) Add(x, y, x + 1, y);         // top, going right
                if (!On(x + 1, y)) Add(x + 1, y, x + 1, y + 1); // right, going down
                if (!On(x, y + 1)) Add(x + 1, y + 1, x, y + 1); // bottom, going left
                if (!On(x - 1, y)) Add(x, y + 1, x, y);         // left, going up
            }
        }

        var polygons = new List<IReadOnlyList<(int X, int Y)>>();
        while (edges.Count > 0)
        {
            var start = edges.First().Key;
            var ring = new List<(int X, int Y)>();
            var current = start;
            (int X, int Y) direction = (0, 0);
            do
            {
                var outgoing = edges[current];
                // At a corner shared by two diagonal pixels, turn right to keep 4-connected regions apart.
                int pick = 0;
                if (outgoing.Count > 1)
                {
                    pick = outgoing.FindIndex(e => Cross(direction, (e.X - current.Item1, e.Y - current.Item2)) > 0);
                    if (pick < 0)
                        pick = 0;
                }
                var next = outgoing[pick];
                outgoing.RemoveAt(pick);
                if (outgoing.Count == 0)
                    edges.Remove(current);
                ring.Add((current.Item1, current.Item2));
                direction = (next.X - current.Item1, next.Y - current.Item2);
                current = (next.X, next.Y);
            }
            while (current != start);
            polygons.Add(Simplify(ring, mask.Left, mask.Top));
        }
        return polygons;
    }

    /// <summary>Positive when turning from <paramref name="a"/> to <paramref name="b"/> is a right turn on screen (y down).</summary>
    private static int Cross((int X, int Y) a, (int X, int Y) b) => a.X * b.Y - a.Y * b.X;

    private static (int X, int Y)[] Simplify(List<(int X, int Y)> ring, int left, int top)
    {
        var kept = new List<(int X, int Y)>(ring.Count);
        for (int i = 0; i < ring.Count; i++)
        {
            var previous = ring[(i + ring.Count - 1) % ring.Count];
            var point = ring[i];
            var next = ring[(i + 1) % ring.Count];
            if (Cross((point.X - previous.X, point.Y - previous.Y), (next.X - point.X, next.Y - point.Y)) != 0)
                kept.Add((point.X + left, point.Y + top));
        }
        return kept.ToArray();
    }
}
