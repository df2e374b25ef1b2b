using Microsoft.ML.DeepExtensions.Vision.Data.Detection;
using SkiaSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Training;

/// <summary>
/// Small detection data sets a detector learns in seconds: PNG files of noisy grey backgrounds with one to three
/// filled shapes each (class "square": a red square, class "disc": a blue disc), of random sizes and places, written
/// to a temporary folder and described as a <see cref="DetectionDataset"/>; boxes are the shapes' exact bounds.
/// </summary>
internal sealed class SyntheticDetectionData : IDisposable
{
    public static readonly string[] ClassNames = { "square", "disc" };

    private SyntheticDetectionData(string folder, DetectionDataset dataset)
    {
        Folder = folder;
        Dataset = dataset;
    }

    public string Folder { get; }

    public DetectionDataset Dataset { get; }

    /// <param name="count">Images.</param>
    /// <param name="seed">Seeds sizes, places and noise.</param>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height (a non-square size tests the letterbox).</param>
    /// <param name="minSide">Smallest shape side.</param>
    /// <param name="maxSide">Largest shape side.</param>
    public static SyntheticDetectionData Create(int count, int seed, int width = 64, int height = 64, int minSide = 12, int maxSide = 28)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"dx-det-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var random = new Random(seed);
        var images = new List<DetectionImage>();
        for (int i = 0; i < count; i++)
        {
            using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            using (var canvas = new SKCanvas(bitmap))
            {
                canvas.Clear(new SKColor(120, 120, 120));
                using var noise = new SKPaint { IsAntialias = false };
                for (int k = 0; k < width * height / 8; k++)
                {
                    byte v = (byte)random.Next(90, 160);
                    noise.Color = new SKColor(v, v, v);
                    canvas.DrawPoint(random.Next(width), random.Next(height), noise);
                }
                var objects = new List<DetectionObject>();
                int wanted = 1 + random.Next(Math.Min(3, 1 + i % 3));
                for (int attempt = 0; attempt < 50 && objects.Count < wanted; attempt++)
                {
                    int side = random.Next(minSide, maxSide + 1);
                    int x = random.Next(0, width - side + 1), y = random.Next(0, height - side + 1);
                    var box = new SKRectI(x, y, x + side, y + side);
                    if (objects.Any(o => o.X0 < box.Right + 2 && box.Left < o.X1 + 2 && o.Y0 < box.Bottom + 2 && box.Top < o.Y1 + 2))
                        continue;
                    int classIndex = random.Next(2);
                    using var paint = new SKPaint { IsAntialias = false, Color = classIndex == 0 ? new SKColor(220, 30, 30) : new SKColor(30, 60, 230) };
                    if (classIndex == 0)
                        canvas.DrawRect(box, paint);
                    else
                        canvas.DrawOval(new SKRect(x, y, x + side, y + side), paint);
                    objects.Add(new DetectionObject(classIndex, x, y, x + side, y + side));
                }
                var path = Path.Combine(folder, $"{i:D4}.png");
                canvas.Flush();
                using (var file = File.Create(path))
                    bitmap.Encode(file, SKEncodedImageFormat.Png, 100);
                images.Add(new DetectionImage(i + 1, path, width, height, objects));
            }
        }
        return new SyntheticDetectionData(folder, new DetectionDataset(ClassNames, images));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
