using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Models;
using Microsoft.ML.DeepExtensions.Tests.Vision.Segmentation.Models;
using Microsoft.ML.DeepExtensions.Vision.Drawing;
using SkiaSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Cli;

/// <summary><c>deepext segment</c> and <c>deepext evaluate --task semantic-segmentation</c>, in-process.</summary>
[TestClass]
public sealed class SegmentCommandTests
{
    [TestMethod]
    public void SegmentWritesClassMapsAndOverlays_AndEvaluateScoresThem()
    {
        using var folder = new TempFolder();
        string input = Directory.CreateDirectory(folder.File("in")).FullName, output = folder.File("out"), labels = Directory.CreateDirectory(folder.File("labels")).FullName;
        var fcn = ExpectedClassMaps.Images("fcn");
        var deeplab = ExpectedClassMaps.Images("deeplabv3");
        foreach (var image in fcn)
            File.Copy(image.Path, Path.Combine(input, Path.GetFileName(image.Path)));

        var result = CliRunner.Run("segment", "--model", ExpectedClassMaps.ModelFile("fcn"), "--kind", "fcn", "--image", input, "--out", output,
            "--classes", ExpectedClassMaps.PathOf("semantic_classes.txt"), "--device", "cpu");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        for (int i = 0; i < fcn.Count; i++)
        {
            string name = Path.GetFileNameWithoutExtension(fcn[i].Path);
            var map = SegmentationDrawing.ReadLabels(Path.Combine(output, name + ".classes.png"), out int width, out int height);
            Assert.AreEqual((fcn[i].Width, fcn[i].Height), (width, height));
            int equal = map.Where((c, p) => c == fcn[i].Classes[p]).Count();
            Assert.IsTrue(equal >= 0.999 * map.Length, $"{name}: {equal} of {map.Length} pixels as torchvision");
            using var overlay = MLImage.CreateFromFile(Path.Combine(output, name + ".png"));
            using var original = MLImage.CreateFromFile(fcn[i].Path);
            Assert.AreEqual((original.Width, original.Height), (overlay.Width, overlay.Height));
            Assert.IsFalse(overlay.Pixels.SequenceEqual(original.Pixels), "the overlay paints the classes");

            // Labels for evaluate: DeepLabV3's reference maps with a 5-pixel border of 255 (ignored).
            WriteGreyPng(Path.Combine(labels, name + ".png"), deeplab[i].Classes, deeplab[i].Width, deeplab[i].Height, border: 5);
        }
        StringAssert.Contains(result.Stdout, "astronaut.png: 512x512:");

        var evaluate = CliRunner.Run("evaluate", "--task", "semantic-segmentation", "--ground-truth", labels, "--predictions", output,
            "--classes", ExpectedClassMaps.PathOf("semantic_classes.txt"));
        Assert.AreEqual(0, evaluate.ExitCode, evaluate.ToString());
        var expected = JsonDocument.Parse(File.ReadAllText(ExpectedClassMaps.PathOf("expected_class_maps.json"))).RootElement.GetProperty("pipelineMetrics");
        var json = evaluate.Metrics;
        Assert.AreEqual(expected.GetProperty("pixels").GetInt64(), json.GetProperty("Pixels").GetInt64());
        Assert.AreEqual(expected.GetProperty("pixelAccuracy").GetDouble(), json.GetProperty("PixelAccuracy").GetDouble(), 1e-3);
        Assert.AreEqual(expected.GetProperty("meanIoU").GetDouble(), json.GetProperty("MeanIoU").GetDouble(), 1e-3);
        Assert.AreEqual(expected.GetProperty("perClassIoU")[1].GetDouble(), json.GetProperty("PerClassIoU").GetProperty("person").GetDouble(), 1e-3);

        var again = CliRunner.Run("segment", "--model", ExpectedClassMaps.ModelFile("fcn"), "--kind", "fcn", "--image", input, "--out", output,
            "--classes", ExpectedClassMaps.PathOf("semantic_classes.txt"));
        Assert.AreEqual(2, again.ExitCode, again.ToString());
        StringAssert.Contains(again.Stderr, "already exists (pass --force to overwrite it)");
    }

    [TestMethod]
    public void WrongKindsAndModelsAreReportedClearly()
    {
        using var folder = new TempFolder();
        string image = ExpectedClassMaps.Images("fcn")[0].Path;
        var badKind = CliRunner.Run("segment", "--model", ExpectedClassMaps.ModelFile("fcn"), "--kind", "unet", "--image", image, "--out", folder.File("a"));
        Assert.AreEqual(2, badKind.ExitCode, badKind.ToString());
        StringAssert.Contains(badKind.Stderr, "--kind must be deeplabv3, fcn or lraspp, got 'unet'");

        var detector = CliRunner.Run("segment", "--model", ExpectedDetections.ModelFile("yolov8"), "--kind", "fcn", "--image", image, "--out", folder.File("b"));
        Assert.AreEqual(1, detector.ExitCode, detector.ToString());
        StringAssert.Contains(detector.Stderr, "does not have the semantic segmentation layout");
        StringAssert.Contains(detector.Stderr, "looks like a YOLOv8-or-later export");

        var unnamed = CliRunner.Run("segment", "--model", ExpectedClassMaps.ModelFile("lraspp"), "--kind", "lraspp", "--image", image, "--out", folder.File("c"));
        Assert.AreEqual(1, unnamed.ExitCode, unnamed.ToString());
        StringAssert.Contains(unnamed.Stderr, "--classes FILE");
    }

    private static void WriteGreyPng(string path, int[] classes, int width, int height, int border)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                bool edge = x < border || y < border || x >= width - border || y >= height - border;
                byte v = edge ? (byte)255 : (byte)classes[y * width + x];
                bitmap.SetPixel(x, y, new SKColor(v, v, v));
            }
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
    }
}
