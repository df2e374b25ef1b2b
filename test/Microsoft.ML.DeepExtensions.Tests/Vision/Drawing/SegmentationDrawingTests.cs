using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Drawing;
using Microsoft.ML.DeepExtensions.Vision.Segmentation;
using SkiaSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Drawing;

[TestClass]
public sealed class SegmentationDrawingTests
{
    private static MLImage Grey(int width, int height, byte value)
    {
        var pixels = new byte[width * height * 4];
        for (int i = 0; i < pixels.Length; i += 4)
            (pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]) = (value, value, value, 255);
        return MLImage.CreateFromPixels(width, height, MLPixelFormat.Bgra32, pixels);
    }

    [TestMethod]
    public void TheOverlayBlendsEachClassColourAndLeavesTheBackground()
    {
        // 60x40 grey image; left half class 0 (background), right half class 2. Opacity 0.5, no legend.
        int w = 60, h = 40;
        var classes = new int[w * h];
        for (int y = 0; y < h; y++)
        {
            for (int x = w / 2; x < w; x++)
                classes[y * w + x] = 2;
        }
        using var image = Grey(w, h, 100);
        var options = new DetectionDrawingOptions { MaskOpacity = 0.5f, ShowLabels = false };
        using var drawn = SegmentationDrawing.Draw(image, new ClassMap(w, h, 3, classes), options: options);
        var color = DetectionDrawing.ColorOf(2, options);
        var pixels = drawn.Pixels;
        int left = 4 * (10 * w + 5), right = 4 * (10 * w + 50);
        Assert.AreEqual((100, 100, 100), (pixels[left], pixels[left + 1], pixels[left + 2]), "background unpainted");
        Assert.AreEqual((int)Math.Round(100 + (color.Blue - 100) * 0.5), pixels[right], 1);
        Assert.AreEqual((int)Math.Round(100 + (color.Green - 100) * 0.5), pixels[right + 1], 1);
        Assert.AreEqual((int)Math.Round(100 + (color.Red - 100) * 0.5), pixels[right + 2], 1);
    }

    [TestMethod]
    public void TheLegendNamesThePresentClasses()
    {
        int w = 200, h = 120;
        var classes = Enumerable.Range(0, w * h).Select(i => i % w < 100 ? 1 : 3).ToArray();
        using var image = Grey(w, h, 200);
        using var withLegend = SegmentationDrawing.Draw(image, new ClassMap(w, h, 4, classes), new[] { "bg", "person", "car", "dog" });
        using var without = SegmentationDrawing.Draw(image, new ClassMap(w, h, 4, classes), options: new DetectionDrawingOptions { ShowLabels = false });
        // The legend panel darkens the top-left corner.
        Assert.IsTrue(withLegend.Pixels[4 * (2 * w + 2) + 1] < without.Pixels[4 * (2 * w + 2) + 1], "legend panel at the top left");
        Assert.AreEqual(without.Pixels[4 * (100 * w + 190) + 1], withLegend.Pixels[4 * (100 * w + 190) + 1], "the rest of the image is the same");
    }

    [TestMethod]
    public void ClassMapsRoundTripThroughPng_AndVocPaletteImagesReadAsIndices()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"dx-segdraw-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var classes = Enumerable.Range(0, 7 * 5).Select(i => i % 21).ToArray();
            string grey = Path.Combine(folder, "map.png");
            SegmentationDrawing.SaveClassMap(new ClassMap(7, 5, 21, classes), grey);
            CollectionAssert.AreEqual(classes, SegmentationDrawing.ReadLabels(grey, out int width, out int height));
            Assert.AreEqual((7, 5), (width, height));

            // VOC's palette: 0 black, 1 (128, 0, 0), 7 (128, 128, 128), 15 (192, 128, 128); 255 (224, 224, 192) is the border.
            string voc = Path.Combine(folder, "voc.png");
            using (var bitmap = new SKBitmap(new SKImageInfo(5, 1, SKColorType.Rgba8888, SKAlphaType.Unpremul)))
            {
                var colors = new[] { new SKColor(0, 0, 0), new SKColor(128, 0, 0), new SKColor(128, 128, 128), new SKColor(192, 128, 128), new SKColor(224, 224, 192) };
                for (int x = 0; x < 5; x++)
                    bitmap.SetPixel(x, 0, colors[x]);
                using var encoded = SKImage.FromBitmap(bitmap).Encode(SKEncodedImageFormat.Png, 100);
                File.WriteAllBytes(voc, encoded.ToArray());
            }
            CollectionAssert.AreEqual(new[] { 0, 1, 7, 15, 255 }, SegmentationDrawing.ReadLabels(voc, out _, out _));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
