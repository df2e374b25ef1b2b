using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Data;
using SkiaSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Data;

[TestClass]
public sealed class ImageFolderTests
{
    private string _folder = "";

    [TestInitialize]
    public void CreateFolder() => _folder = IdxTestFiles.TempFolder();

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    public void ClassFoldersBecomeSortedLabelAndPathRows()
    {
        WriteImage("red/b.png", SKColors.Red);
        WriteImage("red/a.PNG", SKColors.Red);
        WriteImage("blue/nested/c.jpg", SKColors.Blue);
        WriteImage("blue/d.JPEG", SKColors.Blue);
        WriteImage("blue/.hidden.png", SKColors.Blue);
        WriteImage(".cache/e.png", SKColors.Green);
        File.WriteAllText(Path.Combine(_folder, "red", "notes.txt"), "not an image");

        var rows = Read(new MLContext().Data.LoadImageFolder(_folder), "Label", "ImagePath");

        CollectionAssert.AreEqual(new[]
        {
            ("blue", Path.Combine(_folder, "blue", "d.JPEG")),
            ("blue", Path.Combine(_folder, "blue", "nested", "c.jpg")),
            ("red", Path.Combine(_folder, "red", "a.PNG")),
            ("red", Path.Combine(_folder, "red", "b.png")),
        }, rows);
    }

    [TestMethod]
    public void ImageAnalyticsTransformsReadTheListedImages()
    {
        WriteImage("blue/1.png", SKColors.Blue);
        WriteImage("red/1.png", SKColors.Red);
        var ml = new MLContext();
        var data = ml.Data.LoadImageFolder(_folder);

        var pipeline = ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", imageWidth: 4, imageHeight: 4))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", scaleImage: 1f / 255));
        var pixels = pipeline.Fit(data).Transform(data);

        using var cursor = pixels.GetRowCursor(pixels.Schema);
        var label = cursor.GetGetter<ReadOnlyMemory<char>>(pixels.Schema["Label"]);
        var features = cursor.GetGetter<VBuffer<float>>(pixels.Schema["Features"]);
        ReadOnlyMemory<char> labelValue = default;
        VBuffer<float> values = default;
        int rows = 0;
        while (cursor.MoveNext())
        {
            label(ref labelValue);
            features(ref values);
            var channels = values.DenseValues().Chunk(16).Select(c => c.Average()).ToArray();
            // ExtractPixels writes channel-major planes in RGB order by default.
            var expected = labelValue.ToString() == "red" ? new[] { 1f, 0f, 0f } : new[] { 0f, 0f, 1f };
            CollectionAssert.AreEqual(expected, channels, $"{labelValue}: {string.Join(", ", channels)}");
            rows++;
        }
        Assert.AreEqual(2, rows);
    }

    [TestMethod]
    public void ColumnNamesCanBeChosen()
    {
        WriteImage("cat/1.bmp", SKColors.Gray);

        var data = new MLContext().Data.LoadImageFolder(_folder, labelColumnName: "Animal", imagePathColumnName: "File");

        CollectionAssert.AreEqual(new[] { ("cat", Path.Combine(_folder, "cat", "1.bmp")) }, Read(data, "Animal", "File"));
        Assert.AreEqual(TextDataViewType.Instance, data.Schema["File"].Type);
    }

    [TestMethod]
    public void SingleClassIsAcceptedForScoring()
    {
        WriteImage("only/1.png", SKColors.Gray);
        WriteImage("only/2.png", SKColors.Gray);

        Assert.AreEqual(2, Read(new MLContext().Data.LoadImageFolder(_folder), "Label", "ImagePath").Count);
    }

    [TestMethod]
    public void MissingFolderIsNamed()
    {
        var missing = Path.Combine(_folder, "absent");

        var error = Assert.ThrowsExactly<DirectoryNotFoundException>(() => new MLContext().Data.LoadImageFolder(missing));

        Assert.AreEqual($"Image folder '{missing}' not found.", error.Message);
    }

    [TestMethod]
    public void FolderWithoutClassFoldersIsRefusedWithAHint()
    {
        WriteImage("1.png", SKColors.Gray);
        WriteImage("2.jpg", SKColors.Gray);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext().Data.LoadImageFolder(_folder));

        StringAssert.Contains(error.Message, $"Image folder '{_folder}' has no class sub-folders");
        StringAssert.Contains(error.Message, "It holds 2 image(s) directly");
    }

    [TestMethod]
    public void ClassFolderWithoutImagesIsRefusedByName()
    {
        WriteImage("cat/1.png", SKColors.Gray);
        Directory.CreateDirectory(Path.Combine(_folder, "dog"));
        File.WriteAllText(Path.Combine(_folder, "dog", "readme.txt"), "no images yet");

        var error = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext().Data.LoadImageFolder(_folder));

        StringAssert.Contains(error.Message, $"Class folder(s) 'dog' in image folder '{_folder}' hold no images");
    }

    private void WriteImage(string relativePath, SKColor color)
    {
        var path = Path.Combine(_folder, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(6, 5);
        bitmap.Erase(color);
        var format = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".jpg" or ".jpeg" => SKEncodedImageFormat.Jpeg,
            ".bmp" => SKEncodedImageFormat.Png, // Skia cannot encode BMP; the listing only looks at the name.
            _ => SKEncodedImageFormat.Png,
        };
        using var data = bitmap.Encode(format, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    private static List<(string, string)> Read(IDataView data, string labelColumn, string pathColumn)
    {
        var rows = new List<(string, string)>();
        using var cursor = data.GetRowCursor(data.Schema);
        var label = cursor.GetGetter<ReadOnlyMemory<char>>(data.Schema[labelColumn]);
        var path = cursor.GetGetter<ReadOnlyMemory<char>>(data.Schema[pathColumn]);
        ReadOnlyMemory<char> labelValue = default, pathValue = default;
        while (cursor.MoveNext())
        {
            label(ref labelValue);
            path(ref pathValue);
            rows.Add((labelValue.ToString(), pathValue.ToString()));
        }
        return rows;
    }
}
