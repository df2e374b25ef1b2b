using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Onnx;

/// <summary>
/// The one-pass network input (resize, padding, RGB planes, normalization) against PyTorch's F.interpolate on the float
/// pixels, rounded to whole grey levels (halves up) as an 8-bit resize stores them: image_tensor_writer_golden.json, written by
/// generate_image_tensor_writer.py beside this file.
/// </summary>
[TestClass]
public sealed class ImageTensorWriterTests
{
    private const float Tolerance = 1e-4f;

    private static readonly Lazy<JsonElement[]> Cases = new(() => JsonDocument.Parse(
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vision", "Detection", "Onnx", "image_tensor_writer_golden.json")))
        .RootElement.GetProperty("cases").EnumerateArray().ToArray());

    [TestMethod]
    public void Write_MatchesTorchInterpolate_ForLetterboxAndStretch()
    {
        var writer = new ImageTensorWriter(); // one writer for every case: its reused buffers must not leak from case to case
        foreach (var c in Cases.Value)
        {
            var (image, mapping, normalization, padding) = Read(c, MLPixelFormat.Bgra32);
            using (image)
            {
                Assert.AreEqual(c.GetProperty("contentWidth").GetInt32(), mapping.ContentWidth, $"{Name(c)}: content width");
                Assert.AreEqual(c.GetProperty("contentHeight").GetInt32(), mapping.ContentHeight, $"{Name(c)}: content height");
                Assert.AreEqual(c.GetProperty("padLeft").GetInt32(), mapping.PadLeft, $"{Name(c)}: left padding");
                Assert.AreEqual(c.GetProperty("padTop").GetInt32(), mapping.PadTop, $"{Name(c)}: top padding");
                int length = c.GetProperty("grey").GetArrayLength();
                var actual = new float[length + 5];
                Array.Fill(actual, float.NaN);
                writer.Write(image, mapping, normalization, padding, actual);
                AssertMatches(c, actual, Name(c));
                Assert.IsTrue(actual.Skip(length).All(float.IsNaN), $"{Name(c)}: wrote past the input");
                // The same image again (buffers and sampling tables now reused) gives the same input.
                var again = new float[length];
                writer.Write(image, mapping, normalization, padding, again);
                CollectionAssert.AreEqual(actual.Take(length).ToArray(), again, $"{Name(c)}: second write");
            }
        }
    }

    [TestMethod]
    public void Write_ReadsRgbaImagesInTheirOwnChannelOrder()
    {
        var writer = new ImageTensorWriter();
        foreach (var c in Cases.Value)
        {
            var (image, mapping, normalization, padding) = Read(c, MLPixelFormat.Rgba32);
            using (image)
            {
                var actual = new float[c.GetProperty("grey").GetArrayLength()];
                writer.Write(image, mapping, normalization, padding, actual);
                AssertMatches(c, actual, $"RGBA {Name(c)}");
            }
        }
    }

    [TestMethod]
    public void WriteRgbPlanar_IsTheImageTimesScale()
    {
        var c = Cases.Value.Single(k => Name(k) == "stretch identity, imagenet");
        var (image, _, _, _) = Read(c, MLPixelFormat.Bgra32);
        using (image)
        {
            var bgra = image.Pixels.ToArray();
            var planes = new float[3 * 25];
            ImageTensorWriter.WriteRgbPlanar(image, planes, 0.5f);
            for (int i = 0; i < 25; i++)
            {
                Assert.AreEqual(bgra[4 * i + 2] * 0.5f, planes[i], $"red of pixel {i}");
                Assert.AreEqual(bgra[4 * i + 1] * 0.5f, planes[25 + i], $"green of pixel {i}");
                Assert.AreEqual(bgra[4 * i] * 0.5f, planes[50 + i], $"blue of pixel {i}");
            }
        }
    }

    [TestMethod]
    public void Write_RefusesAnImageOfAnotherSizeOrAShortDestination()
    {
        using var image = MLImage.CreateFromPixels(4, 3, MLPixelFormat.Bgra32, new byte[4 * 4 * 3]);
        var writer = new ImageTensorWriter();
        var other = ImageResizeMapping.Letterbox(5, 3, 8, 8);
        var error = Assert.ThrowsExactly<ArgumentException>(() => writer.Write(image, other, PixelNormalization.UnitRange, 114, new float[3 * 64]));
        StringAssert.Contains(error.Message, "mapping is for 5x3 images, got 4x3");
        error = Assert.ThrowsExactly<ArgumentException>(() => writer.Write(image, ImageResizeMapping.Letterbox(4, 3, 8, 8), PixelNormalization.UnitRange, 114, new float[100]));
        StringAssert.Contains(error.Message, "needs 192 floats, got 100");
    }

    [TestMethod]
    public void MeanStd_RefusesANonPositiveStandardDeviation()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => PixelNormalization.MeanStd(new[] { 0.5f, 0.5f, 0.5f }, new[] { 0.2f, 0f, 0.2f }));
        StringAssert.Contains(error.Message, "got 0 for channel 1");
    }

    private static string Name(JsonElement c) => c.GetProperty("name").GetString()!;

    private static (MLImage Image, ImageResizeMapping Mapping, PixelNormalization Normalization, byte Padding) Read(JsonElement c, MLPixelFormat format)
    {
        int width = c.GetProperty("width").GetInt32(), height = c.GetProperty("height").GetInt32();
        int targetWidth = c.GetProperty("targetWidth").GetInt32(), targetHeight = c.GetProperty("targetHeight").GetInt32();
        var pixels = c.GetProperty("bgra").EnumerateArray().Select(v => (byte)v.GetInt32()).ToArray();
        if (format == MLPixelFormat.Rgba32)
        {
            for (int p = 0; p < pixels.Length; p += 4)
                (pixels[p], pixels[p + 2]) = (pixels[p + 2], pixels[p]);
        }
        var image = MLImage.CreateFromPixels(width, height, format, pixels);
        var mapping = c.GetProperty("mode").GetString() == "letterbox"
            ? ImageResizeMapping.Letterbox(width, height, targetWidth, targetHeight)
            : ImageResizeMapping.Stretch(width, height, targetWidth, targetHeight);
        var scale = c.GetProperty("scale").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var offset = c.GetProperty("offset").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        // Back from scale and offset to mean and standard deviation: scale = 1 / (255 std), offset = -mean / std.
        var std = scale.Select(s => 1 / (255 * s)).ToArray();
        var mean = offset.Select((o, i) => -o * std[i]).ToArray();
        var normalization = PixelNormalization.MeanStd(mean, std);
        return (image, mapping, normalization, (byte)c.GetProperty("padding").GetInt32());
    }

    /// <summary>
    /// Each value is PyTorch's grey level rounded to the nearest whole level (halves up), times the channel's scale plus its
    /// offset; a level within 1e-3 of a half but not on it may round either way (float rounding decides).
    /// </summary>
    private static void AssertMatches(JsonElement c, float[] actual, string what)
    {
        var grey = c.GetProperty("grey").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var scale = c.GetProperty("scale").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var offset = c.GetProperty("offset").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        int plane = grey.Length / 3;
        int fragile = 0;
        for (int i = 0; i < grey.Length; i++)
        {
            int channel = i / plane;
            double low = Math.Floor(grey[i]), fraction = grey[i] - low;
            // An exact half (e.g. the mean of two levels) rounds up; a level near a half, either way.
            bool nearHalf = fraction != 0.5 && Math.Abs(fraction - 0.5) < 1e-3;
            fragile += nearHalf ? 1 : 0;
            var levels = nearHalf ? new[] { low, low + 1 } : new[] { Math.Floor(grey[i] + 0.5) };
            if (!levels.Any(level => Math.Abs(level * scale[channel] + offset[channel] - actual[i]) <= Tolerance))
                Assert.Fail($"{what}: value {i} (channel {channel}) is {actual[i]}; PyTorch's grey level is {grey[i]}, so {string.Join(" or ", levels.Select(l => l * scale[channel] + offset[channel]))}.");
        }
        Assert.IsTrue(fragile < grey.Length / 10, $"{what}: {fragile} of {grey.Length} levels are ties; the check would be weak");
    }
}
