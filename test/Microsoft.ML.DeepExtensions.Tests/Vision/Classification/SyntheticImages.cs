using Microsoft.ML.Data;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Classification;

/// <summary>
/// Small generated image sets a CNN can learn in a few epochs and an MLP on raw pixels cannot
/// trivially: class 0 a horizontal bar, class 1 a vertical bar, class 2 a small filled square,
/// each at a random place on a noisy background.
/// </summary>
internal static class SyntheticImages
{
    public const int Classes = 3;

    public sealed class PixelRow
    {
        public string Label { get; set; } = "";

        [VectorType(1, 12, 12)]
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    public sealed class ImageRow
    {
        public string Label { get; set; } = "";

        [Transforms.Image.ImageType(12, 12)]
        public MLImage? Image { get; set; }
    }

    /// <summary>Grayscale images <c>1×size×size</c> in [0, 1], labels "bar-h", "bar-v", "square".</summary>
    public static PixelRow[] Pixels(int count, int seed, int size = 12, int classes = Classes)
    {
        var random = new Random(seed);
        var rows = new PixelRow[count];
        for (int i = 0; i < count; i++)
        {
            int label = i % classes;
            rows[i] = new PixelRow { Label = Name(label), Features = Draw(label, size, random) };
        }
        return rows;
    }

    /// <summary>The same images as RGB <see cref="MLImage"/>s (gray in all three channels).</summary>
    public static ImageRow[] Images(int count, int seed, int size = 12) =>
        Pixels(count, seed, size).Select(p => new ImageRow { Label = p.Label, Image = ToImage(p.Features, size) }).ToArray();

    public static string Name(int label) => label switch { 0 => "bar-h", 1 => "bar-v", _ => "square" };

    public static MLImage ToImage(float[] gray, int size)
    {
        var bgra = new byte[size * size * 4];
        for (int i = 0; i < size * size; i++)
        {
            byte v = (byte)Math.Round(gray[i] * 255);
            bgra[4 * i] = v;
            bgra[4 * i + 1] = v;
            bgra[4 * i + 2] = v;
            bgra[4 * i + 3] = 255;
        }
        return MLImage.CreateFromPixels(size, size, MLPixelFormat.Bgra32, bgra);
    }

    private static float[] Draw(int label, int size, Random random)
    {
        var pixels = new float[size * size];
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = (float)(random.NextDouble() * 0.3);
        int length = size / 2, a = random.Next(size - length + 1), b = random.Next(size - 1);
        for (int k = 0; k < length; k++)
        {
            switch (label)
            {
                case 0:
                    pixels[b * size + a + k] = 1;
                    pixels[(b + 1) * size + a + k] = 1;
                    break;
                case 1:
                    pixels[(a + k) * size + b] = 1;
                    pixels[(a + k) * size + b + 1] = 1;
                    break;
            }
        }
        if (label == 2)
        {
            int x = random.Next(size - 3), y = random.Next(size - 3);
            for (int dy = 0; dy < 3; dy++)
                for (int dx = 0; dx < 3; dx++)
                    pixels[(y + dy) * size + x + dx] = 1;
        }
        return pixels;
    }
}
