using System.Globalization;
using System.IO.Compression;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Tests.Vision.Haar;
using Microsoft.ML.DeepExtensions.Tests.Vision.Imaging;
using Microsoft.ML.DeepExtensions.Vision.Data;
using SkiaSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Cli;

/// <summary>
/// Inputs a new user gets wrong, across the commands: each is one clear line on stderr and a non-zero
/// exit code, nothing half-written; commands that read many images report a bad one and go on.
/// </summary>
[TestClass]
public sealed class BadInputTests
{
    private static TempFolder _folder = null!;
    private static string _idxModel = null!;

    [ClassInitialize]
    public static void TrainAnIdxModel(TestContext _)
    {
        _folder = new TempFolder();
        // The README's first command, one epoch: a CNN on the Fashion-MNIST IDX subset.
        _idxModel = _folder.File("fashion.zip");
        var train = CliRunner.Run("train", "--task", "image-classification", "--data", CliRunner.Sample("fashion-mnist-subset"),
            "--out", _idxModel, "--epochs", "1", "--seed", "1");
        Assert.AreEqual(0, train.ExitCode, train.ToString());
    }

    [ClassCleanup]
    public static void Cleanup() => _folder.Dispose();

    private static void AssertOneLine(CliResult result, int exitCode, params string[] expected)
    {
        Assert.AreEqual(exitCode, result.ExitCode, result.ToString());
        Assert.AreEqual(1, result.StderrLines.Length, $"one line on stderr:\n{result.Stderr}");
        foreach (string part in expected)
            StringAssert.Contains(result.StderrLines[0], part);
        Assert.IsFalse(result.Stderr.Contains("   at ", StringComparison.Ordinal), "no stack trace");
    }

    [TestMethod]
    public void AStrayTextValueInANumericColumnIsRefusedNamingLineColumnAndValue()
    {
        // 40 distinct numbers and one word: before, the column was taken for an identifier and silently left out.
        var rows = Enumerable.Range(0, 41).Select(i => string.Create(CultureInfo.InvariantCulture,
            $"{(i == 17 ? "hello" : (3.5 + 3 * i).ToString(CultureInfo.InvariantCulture))},{i % 7},{(i % 2 == 0 ? "yes" : "no")}"));
        string data = _folder.Write("stray.csv", "size,count,label\n" + string.Join("\n", rows) + "\n");
        string model = _folder.File("stray.zip");
        var result = CliRunner.Run("train", "--task", "binary", "--data", data, "--label", "label", "--epochs", "2", "--out", model);
        AssertOneLine(result, 1, "stray.csv' line 19: column 'size' is numeric but has 'hello'");
        Assert.IsFalse(File.Exists(model));
    }

    [TestMethod]
    [DataRow("NaN")]
    [DataRow("Infinity")]
    [DataRow("-Infinity")]
    [DataRow("1e999")]
    public void NonFiniteFeatureValuesAreRefused(string value)
    {
        var rows = Enumerable.Range(0, 30).Select(i => $"{(i == 4 ? value : (0.5 * i).ToString(CultureInfo.InvariantCulture))},{i % 3},{(i % 2 == 0 ? "yes" : "no")}");
        string data = _folder.Write($"nonfinite{Guid.NewGuid():N}.csv", "x,y,label\n" + string.Join("\n", rows) + "\n");
        var result = CliRunner.Run("train", "--task", "binary", "--data", data, "--label", "label", "--epochs", "2", "--out", _folder.File("nonfinite.zip"));
        AssertOneLine(result, 1, "line 6: column 'x' is numeric but has '" + value + "', which is not a finite number");
    }

    [TestMethod]
    public void PredictScoresAnyImageFileWithAModelTrainedOnIdxPixels()
    {
        // The first test image of the IDX subset, written as a grey PNG, scores as the IDX row itself.
        using var folder = new TempFolder();
        var ml = new MLContext(1);
        var test = ml.Data.LoadIdxFolder(CliRunner.Sample("fashion-mnist-subset")).TestSet;
        float[] pixels = test.GetColumn<float[]>("Features").First();
        using (var grey = new SKBitmap(new SKImageInfo(28, 28, SKColorType.Gray8, SKAlphaType.Opaque)))
        {
            for (int i = 0; i < pixels.Length; i++)
                grey.SetPixel(i % 28, i / 28, new SKColor((byte)Math.Round(pixels[i] * 255), (byte)Math.Round(pixels[i] * 255), (byte)Math.Round(pixels[i] * 255)));
            using var encoded = SKImage.FromBitmap(grey).Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(folder.File("first.png"), encoded.ToArray());
        }
        var fromIdx = CliRunner.Run("predict", "--model", _idxModel, "--data", CliRunner.Sample("fashion-mnist-subset"));
        var fromPng = CliRunner.Run("predict", "--model", _idxModel, "--data", folder.File("first.png"));
        Assert.AreEqual(0, fromPng.ExitCode, fromPng.ToString());
        Assert.AreEqual(2, fromPng.StdoutLines.Length, fromPng.Stdout);
        StringAssert.StartsWith(fromPng.StdoutLines[0], "ImagePath,PredictedLabel,Score_T-shirt/top");
        var idxRow = fromIdx.StdoutLines[1].Split(',');
        var pngRow = fromPng.StdoutLines[1].Split(',');
        Assert.AreEqual(idxRow[1], pngRow[1], "the same class");
        for (int c = 2; c < idxRow.Length; c++)
            Assert.AreEqual(double.Parse(idxRow[c], CultureInfo.InvariantCulture), double.Parse(pngRow[c], CultureInfo.InvariantCulture), 1e-4, $"score column {c}");

        // A large colour photo and a flat folder (with an unreadable file among the images): scored, the bad one reported.
        File.Copy(Path.Combine(HaarTestData.OpenCvPhotoFolder, "HappyFish.jpg"), folder.File("fish.jpg"));
        BadImageFiles.Truncated(folder.Path);
        var flat = CliRunner.Run("predict", "--model", _idxModel, "--data", folder.Path);
        Assert.AreEqual(1, flat.ExitCode, flat.ToString());
        Assert.AreEqual(3, flat.StdoutLines.Length, flat.Stdout);
        Assert.IsTrue(flat.StdoutLines.Skip(1).All(l => l.Split(',').Length == 12), flat.Stdout);
        StringAssert.Contains(flat.Stdout, "fish.jpg");
        Assert.AreEqual(1, flat.StderrLines.Length, flat.Stderr);
        StringAssert.Contains(flat.Stderr, "truncated.png' is truncated");
        StringAssert.EndsWith(flat.StderrLines[0], "; skipped");
    }

    [TestMethod]
    public void BadImageFilesAreReportedOneLineEach()
    {
        using var folder = new TempFolder();
        string[] bad =
        {
            BadImageFiles.Empty(folder.Path), BadImageFiles.Truncated(folder.Path), BadImageFiles.TextNamedPng(folder.Path), BadImageFiles.AbsurdSize(folder.Path),
        };
        string[] why = { "is empty (0 bytes)", "is truncated", "is not an image", "declares 100000x100000 pixels" };
        for (int i = 0; i < bad.Length; i++)
            AssertOneLine(CliRunner.Run("predict", "--model", _idxModel, "--data", bad[i]), 1, $"--data: Image file '{bad[i]}' {why[i]}");
        // A JPEG named .png is read as the JPEG it is.
        var jpeg = CliRunner.Run("predict", "--model", _idxModel, "--data", BadImageFiles.JpegNamedPng(folder.Path));
        Assert.AreEqual(0, jpeg.ExitCode, jpeg.ToString());
    }

    [TestMethod]
    public void ImageTrainingReportsAnUnreadableImageAndTrainsOnTheOthers()
    {
        using var folder = new TempFolder();
        string images = folder.File("images");
        foreach (var (row, i) in Vision.Classification.SyntheticImages.Images(30, seed: 1).Select((r, i) => (r, i)))
        {
            Directory.CreateDirectory(Path.Combine(images, row.Label));
            row.Image!.Save(Path.Combine(images, row.Label, $"{i:D3}.png"));
        }
        string bad = Path.Combine(images, "square", "zero.png");
        File.WriteAllBytes(bad, Array.Empty<byte>());
        string model = folder.File("m.zip");
        var train = CliRunner.Run("train", "--task", "image-classification", "--data", images, "--out", model,
            "--epochs", "1", "--image-size", "12x12", "--channels", "1");
        Assert.AreEqual(1, train.ExitCode, train.ToString());
        StringAssert.Contains(train.Stderr, $"error: Image file '{bad}' is empty (0 bytes); skipped");
        Assert.IsTrue(File.Exists(model), "the model of the readable images is saved");
        Assert.AreEqual(30, train.Metrics.GetProperty("Rows").GetInt32(), "evaluated on the 30 readable training images");
    }

    [TestMethod]
    public void DetectWithACascadeReportsAnUnreadableImageAndGoesOn()
    {
        using var folder = new TempFolder();
        string images = folder.File("in");
        Directory.CreateDirectory(images);
        File.Copy(HaarTestData.SkimagePhoto("astronaut.png"), Path.Combine(images, "astronaut.png"));
        BadImageFiles.Truncated(images);
        string outFolder = folder.File("out");
        var result = CliRunner.Run("detect", "--cascade", HaarTestData.Cascade("haarcascade_frontalface_alt2.xml"), "--image", images, "--out", outFolder);
        Assert.AreEqual(1, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stderr, "error: Image file '" + Path.Combine(images, "truncated.png") + "' is truncated");
        StringAssert.Contains(result.Stdout, "astronaut.png: ");
        Assert.IsTrue(File.Exists(Path.Combine(outFolder, "astronaut.png.json")), "the readable image is still processed");
        Assert.IsFalse(File.Exists(Path.Combine(outFolder, "truncated.png.json")));
    }

    [TestMethod]
    public void OutputsThatCannotBeWrittenAreRefusedBeforeAnyWork()
    {
        string notAFolder = _folder.Write("plain.txt", "a file");
        var parentIsFile = CliRunner.Run("predict", "--model", _idxModel, "--data", CliRunner.Sample("fashion-mnist-subset"), "--out", Path.Combine(notAFolder, "p.csv"));
        AssertOneLine(parentIsFile, 2, "plain.txt' is a file, not a folder");

        // sysfs refuses new files even to root, so this holds whoever runs the tests.
        var denied = CliRunner.Run("predict", "--model", _idxModel, "--data", CliRunner.Sample("fashion-mnist-subset"), "--out", "/sys/deepext-predictions.csv");
        AssertOneLine(denied, 2, "cannot write in folder '/sys'");
        Assert.IsFalse(File.Exists("/sys/deepext-predictions.csv"));

        var detectOut = CliRunner.Run("detect", "--cascade", HaarTestData.Cascade("haarcascade_frontalface_alt2.xml"),
            "--image", HaarTestData.SkimagePhoto("astronaut.png"), "--out", Path.Combine(notAFolder, "out"));
        AssertOneLine(detectOut, 2, "--out '" + Path.Combine(notAFolder, "out") + "': the folder cannot be created");

        var folderAsOut = CliRunner.Run("predict", "--model", _idxModel, "--data", CliRunner.Sample("fashion-mnist-subset"), "--out", _folder.Path);
        AssertOneLine(folderAsOut, 2, "is a folder");
        Assert.AreEqual(0, Directory.GetFiles(_folder.Path, "*.tmp").Length + Directory.GetFiles(_folder.Path, ".*").Length, "no temporary file left");
    }

    [TestMethod]
    public void FilesThatAreNoDeepExtensionsModelAreRefused()
    {
        string text = _folder.Write("text.zip", "not a zip at all");
        AssertOneLine(CliRunner.Run("predict", "--model", text, "--data", CliRunner.Sample("wine-test.csv")), 1, "is not a model file (not a zip archive)");

        // A plain ML.NET model (not saved by deepext) and an empty zip.
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { X = 1 }, new Row { X = 2 } });
        var plain = ml.Transforms.NormalizeMinMax("X").Fit(data);
        string plainPath = _folder.File("plain-mlnet.zip");
        ml.Model.Save(plain, data.Schema, plainPath);
        AssertOneLine(CliRunner.Run("predict", "--model", plainPath, "--data", CliRunner.Sample("wine-test.csv")), 1, "was not saved by 'deepext train'");
        string emptyZip = _folder.File("empty.zip");
        using (ZipFile.Open(emptyZip, ZipArchiveMode.Create))
        {
        }
        AssertOneLine(CliRunner.Run("predict", "--model", emptyZip, "--data", CliRunner.Sample("wine-test.csv")), 1, "was not saved by 'deepext train'");

        // A deepext model whose ML.NET part was replaced by another model's.
        string swapped = _folder.File("swapped.zip");
        File.Copy(_idxModel, swapped);
        using (var zip = ZipFile.Open(swapped, ZipArchiveMode.Update))
        {
            foreach (var entry in zip.Entries.Where(e => !e.FullName.StartsWith("DeepExtensionsCli/", StringComparison.Ordinal)).ToList())
                entry.Delete();
        }
        AssertOneLine(CliRunner.Run("predict", "--model", swapped, "--data", CliRunner.Sample("fashion-mnist-subset")), 1, "swapped.zip' cannot be loaded");

        AssertOneLine(CliRunner.Run("predict", "--model", _folder.Path, "--data", CliRunner.Sample("wine-test.csv")), 1, "not found");
    }

    [TestMethod]
    public void MalformedJsonAndXmlNameTheFile()
    {
        string truncatedJson = _folder.Write("truncated.json", "{\"images\": [{\"id\": 1, \"width\": 10");
        string notJson = _folder.Write("not.json", "id,width\n1,10\n");
        foreach (string file in new[] { truncatedJson, notJson })
        {
            var result = CliRunner.Run("evaluate", "--task", "detection", "--ground-truth", file, "--predictions", file);
            AssertOneLine(result, 1, Path.GetFileName(file));
        }

        string truncatedXml = _folder.Write("truncated.xml", "<?xml version=\"1.0\"?><opencv_storage><cascade><stageType>BOOST</stage");
        var xml = CliRunner.Run("detect", "--cascade", truncatedXml, "--image", HaarTestData.SkimagePhoto("astronaut.png"), "--out", _folder.File("xml-out"));
        AssertOneLine(xml, 1, "truncated.xml");
        Assert.IsFalse(Directory.Exists(_folder.File("xml-out")), "nothing written");
    }

    private sealed class Row
    {
        public float X { get; set; }
    }
}
