using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision.Drawing;
using SkiaSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Drawing;

[TestClass]
public sealed class DetectionDrawingTests
{
    private static readonly SKColor Red = new(255, 0, 0);
    private static readonly SKColor Green = new(0, 255, 0);
    private static readonly DetectionDrawingOptions BoxesOnly = new() { ShowLabels = false, Palette = new[] { Red, Green } };

    private static MLImage Black(int width, int height)
    {
        var pixels = new byte[width * height * 4];
        for (int p = 3; p < pixels.Length; p += 4)
            pixels[p] = 255;
        return MLImage.CreateFromPixels(width, height, MLPixelFormat.Bgra32, pixels);
    }

    /// <summary>(R, G, B) of pixel (x, y) of a BGRA image.</summary>
    private static (int R, int G, int B) At(MLImage image, int x, int y)
    {
        Assert.AreEqual(MLPixelFormat.Bgra32, image.PixelFormat);
        int p = (y * image.Width + x) * 4;
        var pixels = image.Pixels;
        return (pixels[p + 2], pixels[p + 1], pixels[p]);
    }

    [TestMethod]
    public void Draw_OutlinesTheBoxInTheClassColor_AndLeavesTheRestAlone()
    {
        using var image = Black(100, 80);
        var detections = new ObjectDetections(new float[] { 10, 10, 60, 50 }, new[] { 1 }, new[] { 0.9f });

        using var drawn = DetectionDrawing.Draw(image, detections, options: BoxesOnly);

        Assert.AreEqual((0, 255, 0), At(drawn, 10, 30), "left edge in class 1's color");
        Assert.AreEqual((0, 255, 0), At(drawn, 35, 50), "bottom edge");
        Assert.AreEqual((0, 0, 0), At(drawn, 35, 30), "inside untouched");
        Assert.AreEqual((0, 0, 0), At(drawn, 80, 70), "outside untouched");
        Assert.AreEqual((0, 0, 0), At(image, 10, 30), "the input image is not modified");
    }

    [TestMethod]
    public void Draw_BlendsMasksWithTheirOpacity_OnlyWhereTheMaskIsSet()
    {
        using var image = Black(60, 60);
        var maskPixels = new byte[20 * 20];
        maskPixels.AsSpan(0, 200).Fill(1); // top half of the 20x20 rectangle at (20, 20)
        var detections = new ObjectDetections(new float[] { 20, 20, 40, 40 }, new[] { 0 }, new[] { 0.8f },
            new[] { new InstanceMask(20, 20, 20, 20, maskPixels) });

        using var drawn = DetectionDrawing.Draw(image, detections, options: new DetectionDrawingOptions { ShowLabels = false, Palette = new[] { Red }, MaskOpacity = 0.5f });

        Assert.AreEqual((128, 0, 0), At(drawn, 30, 25), "0 + (255 - 0) * 0.5, rounded");
        Assert.AreEqual((0, 0, 0), At(drawn, 30, 35), "mask pixel 0: no overlay");
    }

    [TestMethod]
    public void Draw_WritesACaptionAboveTheBox()
    {
        using var image = Black(160, 100);
        var detections = new ObjectDetections(new float[] { 10, 40, 150, 90 }, new[] { 0 }, new[] { 0.87f });

        using var drawn = DetectionDrawing.Draw(image, detections, new[] { "person" }, new DetectionDrawingOptions { Palette = new[] { Red }, FontSize = 16 });

        // The caption band (rows above y = 40) is filled red with white text pixels in it.
        int white = 0, red = 0;
        for (int y = 22; y < 40; y++)
        {
            for (int x = 10; x < 100; x++)
            {
                var (r, g, b) = At(drawn, x, y);
                if (r > 200 && g > 200 && b > 200) white++;
                if (r == 255 && g == 0 && b == 0) red++;
            }
        }
        Assert.IsTrue(white > 20, $"text pixels expected in the caption band, found {white}");
        Assert.IsTrue(red > 200, $"caption background expected, found {red} red pixels");
        Assert.AreEqual((0, 0, 0), At(drawn, 155, 10), "far from the caption");
    }

    [TestMethod]
    public void Draw_SkipsDetectionsBelowTheMinimumScore()
    {
        using var image = Black(50, 50);
        var detections = new ObjectDetections(new float[] { 5, 5, 20, 20, 25, 25, 45, 45 }, new[] { 0, 0 }, new[] { 0.9f, 0.2f });

        using var drawn = DetectionDrawing.Draw(image, detections, options: new DetectionDrawingOptions { ShowLabels = false, Palette = new[] { Red }, MinimumScore = 0.5f });

        Assert.AreEqual((255, 0, 0), At(drawn, 5, 12));
        Assert.AreEqual((0, 0, 0), At(drawn, 25, 35));
    }

    [TestMethod]
    public void Save_WritesPngThatReadsBackIdentically_AndRefusesToOverwrite()
    {
        string directory = Path.Combine(Path.GetTempPath(), "dx-draw-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            using var image = Black(30, 20);
            using var drawn = DetectionDrawing.Draw(image, new ObjectDetections(new float[] { 2, 2, 20, 15 }, new[] { 0 }, new[] { 1f }), options: BoxesOnly);
            string png = Path.Combine(directory, "out.png");

            DetectionDrawing.Save(drawn, png);
            DetectionDrawing.Save(drawn, Path.Combine(directory, "out.jpg"));

            using var back = MLImage.CreateFromFile(png);
            CollectionAssert.AreEqual(drawn.Pixels.ToArray(), back.Pixels.ToArray());
            Assert.IsTrue(new FileInfo(Path.Combine(directory, "out.jpg")).Length > 100);
            var exists = Assert.ThrowsExactly<IOException>(() => DetectionDrawing.Save(drawn, png));
            StringAssert.Contains(exists.Message, "already exists; pass overwrite: true");
            DetectionDrawing.Save(drawn, png, overwrite: true);
            var format = Assert.ThrowsExactly<ArgumentException>(() => DetectionDrawing.Save(drawn, Path.Combine(directory, "out.bmp")));
            StringAssert.Contains(format.Message, "extension '.bmp': use .png, .jpg or .jpeg");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void Options_AreValidated_NamingTheOption()
    {
        using var image = Black(10, 10);
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => DetectionDrawing.Draw(image, ObjectDetections.Empty, options: new DetectionDrawingOptions { MaskOpacity = 1.5f }));
        StringAssert.Contains(ex.Message, "MaskOpacity must be in [0, 1], got 1.5.");
    }
}
