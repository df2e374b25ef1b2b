using System.Drawing;

namespace DeepExtensions.Cli.Haar;

/// <summary>A generated gray image, row-major, and the boxes of the disks drawn in it.</summary>
/// <param name="Pixels">Width x Height bytes.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Boxes">The ground-truth box of each disk (the square a detector window should cover).</param>
public sealed record GrayScene(byte[] Pixels, int Width, int Height, IReadOnlyList<Rectangle> Boxes);

/// <summary>
/// The generated data set for training and checking a Haar cascade: a bright filled disk on varied
/// backgrounds (gradients, noise, stripes, clutter of rectangles and lines, never a disk). Positives are
/// windows centred on one disk (small jitter of position and size, any pixel size); negatives are
/// backgrounds without a disk; scenes are backgrounds with a few disks of random sizes and their boxes.
/// A disk's box is the square whose side is <see cref="BoxPerDiameter"/> times the disk's diameter,
/// the way the positives frame it. Everything is drawn from a seeded <see cref="Random"/>, so a seed
/// always gives the same images.
/// </summary>
public static class ShapeScenes
{
    /// <summary>Box side over disk diameter: the disk fills 3/4 of its window's width.</summary>
    public const double BoxPerDiameter = 4.0 / 3.0;

    /// <summary>A background without any disk.</summary>
    public static byte[] Background(Random random, int width, int height)
    {
        var image = new float[width * height];
        int kind = random.Next(4);
        double a = random.Next(20, 200), b = random.Next(20, 200), angle = random.NextDouble() * Math.PI;
        double cos = Math.Cos(angle), sin = Math.Sin(angle), diagonal = Math.Sqrt(width * width + height * height);
        double period = random.Next(6, 30);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                double t = ((x - width / 2.0) * cos + (y - height / 2.0) * sin) / diagonal + 0.5;
                image[y * width + x] = (float)(kind == 2
                    ? (a + b) / 2 + (b - a) / 2 * Math.Sin(2 * Math.PI * (x * cos + y * sin) / period)
                    : a + (b - a) * t);
            }
        }
        if (kind is 1 or 3)
            Clutter(random, image, width, height, count: kind == 3 ? random.Next(6, 16) : random.Next(1, 5));
        AddNoise(random, image, sigma: kind == 0 ? random.Next(10, 30) : random.Next(2, 10));
        return ToBytes(image);
    }

    /// <summary>
    /// A positive window, <paramref name="size"/> pixels square: a disk of diameter 3/4 of the window
    /// (±10%), its centre within ±6% of the window from the middle, on a background. The jitter makes the
    /// cascade accept a disk from several neighbouring windows, which the detector's grouping needs.
    /// </summary>
    public static byte[] Positive(Random random, int size)
    {
        // Drawn with its surroundings on a larger canvas, then cut out, so the background is the same kind as in scenes.
        int canvas = 3 * size;
        var background = Background(random, canvas, canvas);
        var image = background.Select(v => (float)v).ToArray();
        double radius = size / BoxPerDiameter / 2 * (1 + (random.NextDouble() - 0.5) * 0.2);
        double shift = 0.06 * size;
        double cx = canvas / 2.0 + (random.NextDouble() - 0.5) * 2 * shift, cy = canvas / 2.0 + (random.NextDouble() - 0.5) * 2 * shift;
        DrawDisk(random, image, canvas, canvas, cx, cy, radius);
        var window = new byte[size * size];
        var bytes = ToBytes(image);
        int x0 = canvas / 2 - size / 2, y0 = canvas / 2 - size / 2;
        for (int y = 0; y < size; y++)
            Array.Copy(bytes, (y0 + y) * canvas + x0, window, y * size, size);
        return window;
    }

    /// <summary>A background with <paramref name="disks"/> non-overlapping disks whose boxes are <paramref name="minBox"/> to <paramref name="maxBox"/> pixels.</summary>
    public static GrayScene Scene(Random random, int width, int height, int disks, int minBox, int maxBox)
    {
        var image = Background(random, width, height).Select(v => (float)v).ToArray();
        var boxes = new List<Rectangle>();
        for (int attempt = 0; boxes.Count < disks && attempt < 200; attempt++)
        {
            int side = random.Next(minBox, maxBox + 1);
            if (side > width || side > height)
                continue;
            var box = new Rectangle(random.Next(0, width - side + 1), random.Next(0, height - side + 1), side, side);
            if (boxes.Any(other => Rectangle.Inflate(other, side / 4, side / 4).IntersectsWith(box)))
                continue;
            boxes.Add(box);
            DrawDisk(random, image, width, height, box.X + side / 2.0, box.Y + side / 2.0, side / BoxPerDiameter / 2);
        }
        return new GrayScene(ToBytes(image), width, height, boxes);
    }

    // Bright: well above the local background; the disk's edge is anti-aliased (4x4 supersampling), its
    // inside carries the same kind of sensor noise as the background.
    private static void DrawDisk(Random random, float[] image, int width, int height, double cx, double cy, double radius)
    {
        int x0 = Math.Max(0, (int)(cx - radius - 1)), x1 = Math.Min(width - 1, (int)(cx + radius + 1));
        int y0 = Math.Max(0, (int)(cy - radius - 1)), y1 = Math.Min(height - 1, (int)(cy + radius + 1));
        double local = 0;
        int count = 0;
        for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++, count++)
            local += image[y * width + x];
        local /= Math.Max(1, count);
        float value = (float)Math.Min(255, Math.Max(local + random.Next(70, 130), random.Next(170, 256)));
        for (int y = y0; y <= y1; y++)
        {
            for (int x = x0; x <= x1; x++)
            {
                int inside = 0;
                for (int sy = 0; sy < 4; sy++)
                for (int sx = 0; sx < 4; sx++)
                {
                    double dx = x + (sx + 0.5) / 4 - cx, dy = y + (sy + 0.5) / 4 - cy;
                    if (dx * dx + dy * dy <= radius * radius)
                        inside++;
                }
                if (inside == 0)
                    continue;
                float noisy = value + (float)(Gaussian(random) * 4);
                int i = y * width + x;
                image[i] += (noisy - image[i]) * inside / 16f;
            }
        }
    }

    // Rectangles, bars and lines of random intensity: edges and corners, but nothing round.
    private static void Clutter(Random random, float[] image, int width, int height, int count)
    {
        for (int k = 0; k < count; k++)
        {
            float value = random.Next(0, 256);
            if (random.Next(3) == 0)
            {
                bool horizontal = random.Next(2) == 0;
                int at = random.Next(horizontal ? height : width), thickness = random.Next(1, 4);
                for (int t = 0; t < thickness; t++)
                for (int s = 0; s < (horizontal ? width : height); s++)
                {
                    int x = horizontal ? s : at + t, y = horizontal ? at + t : s;
                    if (x < width && y < height)
                        image[y * width + x] = value;
                }
                continue;
            }
            int w = random.Next(4, Math.Max(5, width / 2)), h = random.Next(4, Math.Max(5, height / 2));
            int x0 = random.Next(-w / 2, width), y0 = random.Next(-h / 2, height);
            for (int y = Math.Max(0, y0); y < Math.Min(height, y0 + h); y++)
            for (int x = Math.Max(0, x0); x < Math.Min(width, x0 + w); x++)
                image[y * width + x] = value;
        }
    }

    private static void AddNoise(Random random, float[] image, double sigma)
    {
        for (int i = 0; i < image.Length; i++)
            image[i] += (float)(Gaussian(random) * sigma);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static byte[] ToBytes(float[] image) => image.Select(v => (byte)Math.Clamp((int)Math.Round(v), 0, 255)).ToArray();
}
