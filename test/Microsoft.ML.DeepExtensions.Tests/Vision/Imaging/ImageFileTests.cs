using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Tests.Cli;
using Microsoft.ML.DeepExtensions.Vision.Imaging;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Imaging;

[TestClass]
public sealed class ImageFileTests
{
    [TestMethod]
    public void ReadsThePixelsMlNetReads()
    {
        // Real photos (JPEG, colour PNG, grey PNG, PNG with alpha) and a generated PNG and JPEG.
        using var folder = new TempFolder();
        var files = new List<string> { BadImageFiles.Good(folder.Path), BadImageFiles.JpegNamedPng(folder.Path) };
        files.AddRange(new[] { "HappyFish.jpg", "LinuxLogo.jpg", "pic1.png", "box.png", "chicky_512.png" }
            .Select(name => Path.Combine(Haar.HaarTestData.OpenCvPhotoFolder, name)).Where(File.Exists));
        Assert.AreEqual(7, files.Count, "opencv-doc's sample photos are missing");
        foreach (string file in files)
        {
            using var expected = MLImage.CreateFromFile(file);
            using var actual = ImageFile.Load(file);
            Assert.AreEqual((expected.Width, expected.Height), (actual.Width, actual.Height), file);
            Assert.AreEqual(MLPixelFormat.Bgra32, actual.PixelFormat, file);
            CollectionAssert.AreEqual(Bgra(expected), actual.Pixels.ToArray(), file);
        }
    }

    [TestMethod]
    public void BadFilesAreRefusedNamingTheFileAndTheFault()
    {
        using var folder = new TempFolder();
        AssertRefused<InvalidDataException>(BadImageFiles.Empty(folder.Path), "is empty (0 bytes)");
        AssertRefused<InvalidDataException>(BadImageFiles.Truncated(folder.Path), "is truncated");
        AssertRefused<InvalidDataException>(BadImageFiles.TextNamedPng(folder.Path), "is not an image SkiaSharp can decode");
        AssertRefused<InvalidDataException>(BadImageFiles.AbsurdSize(folder.Path), "declares 100000x100000 pixels (10,000,000,000), more than the limit of 268,435,456");
        AssertRefused<IOException>(folder.Path, "is a folder, not an image file");
        AssertRefused<FileNotFoundException>(folder.File("nowhere.png"), "not found");
    }

    [TestMethod]
    public void DecodeReadsBytesInMemoryAsLoadReadsTheFile()
    {
        using var folder = new TempFolder();
        foreach (string file in new[] { BadImageFiles.Good(folder.Path), BadImageFiles.JpegNamedPng(folder.Path) })
        {
            using var fromFile = ImageFile.Load(file);
            using var fromBytes = ImageFile.Decode(File.ReadAllBytes(file), "upload.png");
            Assert.AreEqual((fromFile.Width, fromFile.Height), (fromBytes.Width, fromBytes.Height), file);
            CollectionAssert.AreEqual(fromFile.Pixels.ToArray(), fromBytes.Pixels.ToArray(), file);
        }

        void Refused(string file, string says)
        {
            var e = Assert.ThrowsExactly<InvalidDataException>(() => ImageFile.Decode(File.ReadAllBytes(file), "upload.png"));
            StringAssert.Contains(e.Message, "Image 'upload.png' " + says);
        }
        Refused(BadImageFiles.Empty(folder.Path), "is empty (0 bytes)");
        Refused(BadImageFiles.Truncated(folder.Path), "is truncated");
        Refused(BadImageFiles.TextNamedPng(folder.Path), "is not an image SkiaSharp can decode");
        Refused(BadImageFiles.AbsurdSize(folder.Path), "declares 100000x100000 pixels");
        var limited = Assert.ThrowsExactly<InvalidDataException>(() => ImageFile.Decode(BadImageFiles.Png(), "upload.png", maxPixels: 40 * 30 - 1));
        StringAssert.Contains(limited.Message, "more than the limit of 1,199");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ImageFile.Decode(BadImageFiles.Png(), "upload.png", maxPixels: 0));
    }

    [TestMethod]
    public void ContentDecidesTheFormatNotTheExtension()
    {
        using var folder = new TempFolder();
        using var image = ImageFile.Load(BadImageFiles.JpegNamedPng(folder.Path));
        Assert.AreEqual((40, 30), (image.Width, image.Height));
    }

    [TestMethod]
    public void TheLimitOnPixelsIsAnOption()
    {
        using var folder = new TempFolder();
        string good = BadImageFiles.Good(folder.Path);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ImageFile.Load(good, maxPixels: 40 * 30 - 1));
        StringAssert.Contains(e.Message, "more than the limit of 1,199");
        using var image = ImageFile.Load(good, maxPixels: 40 * 30);
        Assert.AreEqual(40, image.Width);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ImageFile.Load(good, maxPixels: 0));
    }

    private static void AssertRefused<T>(string path, string expected) where T : Exception
    {
        var e = Assert.ThrowsExactly<T>(() => ImageFile.Load(path));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, expected);
    }

    /// <summary>ML.NET's pixels as BGRA, whatever format it chose.</summary>
    private static byte[] Bgra(MLImage image)
    {
        var pixels = image.Pixels.ToArray();
        if (image.PixelFormat == MLPixelFormat.Rgba32)
        {
            for (int p = 0; p < pixels.Length; p += 4)
                (pixels[p], pixels[p + 2]) = (pixels[p + 2], pixels[p]);
        }
        return pixels;
    }
}
