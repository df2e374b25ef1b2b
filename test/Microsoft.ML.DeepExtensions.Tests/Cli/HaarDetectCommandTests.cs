using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Tests.Vision.Haar;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using OpenCvSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Cli;

/// <summary><c>deepext detect --cascade</c>: drawn images and JSON per image, OpenCV's boxes, no silent overwrite.</summary>
[TestClass]
public sealed class HaarDetectCommandTests
{
    private string _folder = null!;
    private string _images = null!;
    private string _cascade = null!;

    [TestInitialize]
    public void WriteImages()
    {
        _folder = Path.Combine(Path.GetTempPath(), "dx-detect-" + Guid.NewGuid().ToString("N"));
        _images = Path.Combine(_folder, "in");
        Directory.CreateDirectory(_images);
        using var color = Cv2.ImRead(HaarTestData.SkimagePhoto("astronaut.png"), ImreadModes.Color);
        using var small = new Mat();
        Cv2.Resize(color, small, new OpenCvSharp.Size(200, 200), 0, 0, InterpolationFlags.Area);
        Cv2.ImWrite(Path.Combine(_images, "astronaut.png"), small);
        File.WriteAllText(Path.Combine(_images, "notes.txt"), "not an image");
        _cascade = HaarTestData.Cascade("haarcascade_frontalface_alt2.xml");
    }

    [TestCleanup]
    public void DeleteImages()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    [TestMethod]
    public void WritesDrawnImageAndJsonWithOpenCvBoxes()
    {
        string outFolder = Path.Combine(_folder, "out");
        var result = CliRunner.Run("detect", "--cascade", _cascade, "--image", _images, "--out", outFolder, "--min-neighbors", "2");
        Assert.AreEqual(0, result.ExitCode, result.ToString());

        var json = DetectionJson.ReadFile(Path.Combine(outFolder, "astronaut.png.json"));
        using var classifier = new CascadeClassifier(_cascade);
        using var color = Cv2.ImRead(Path.Combine(_images, "astronaut.png"), ImreadModes.Color);
        var expected = HaarTestData.OpenCvDetect(classifier, color, 1.1, 2);
        Assert.IsTrue(expected.Length > 0, "OpenCV finds no face; the comparison would be empty.");
        var boxes = json.Detections.Boxes.ToArray();
        var actual = HaarTestData.Sorted(Enumerable.Range(0, json.Detections.Count).Select(i =>
            new Rect((int)boxes[4 * i], (int)boxes[4 * i + 1], (int)(boxes[4 * i + 2] - boxes[4 * i]), (int)(boxes[4 * i + 3] - boxes[4 * i + 1]))));
        CollectionAssert.AreEqual(expected, actual);
        CollectionAssert.AreEqual(new[] { "frontalface_alt2" }, json.ClassNames.ToArray());

        using var drawn = MLImage.CreateFromFile(Path.Combine(outFolder, "astronaut.png"));
        Assert.AreEqual(200, drawn.Width);
        Assert.IsFalse(File.Exists(Path.Combine(outFolder, "notes.txt.json")), "Only images are searched.");
        StringAssert.Contains(result.Stdout, $"astronaut.png: {expected.Length} detection");
    }

    [TestMethod]
    public void ExistingOutputNeedsForce()
    {
        string outFolder = Path.Combine(_folder, "out");
        string image = Path.Combine(_images, "astronaut.png");
        Assert.AreEqual(0, CliRunner.Run("detect", "--cascade", _cascade, "--image", image, "--out", outFolder).ExitCode);
        var before = File.GetLastWriteTimeUtc(Path.Combine(outFolder, "astronaut.png.json"));
        var again = CliRunner.Run("detect", "--cascade", _cascade, "--image", image, "--out", outFolder);
        Assert.AreEqual(2, again.ExitCode, again.ToString());
        StringAssert.Contains(again.Stderr, "already exists (pass --force to overwrite it)");
        Assert.AreEqual(before, File.GetLastWriteTimeUtc(Path.Combine(outFolder, "astronaut.png.json")));
        Assert.AreEqual(0, CliRunner.Run("detect", "--cascade", _cascade, "--image", image, "--out", outFolder, "--force").ExitCode);
    }

    [TestMethod]
    public void BadInputsGiveDataOrUsageErrors()
    {
        string outFolder = Path.Combine(_folder, "out");
        AssertFails(2, "--scale-factor must be a finite number greater than 1, got 1", "--scale-factor", "1");
        AssertFails(2, "--min-neighbors must be zero or positive, got -2", "--min-neighbors", "-2");
        AssertFails(2, "--min-size 60x60 must not exceed --max-size 50x80", "--min-size", "60x60", "--max-size", "50x80");
        AssertFails(2, "--min-size must be WIDTHxHEIGHT", "--min-size", "big");
        AssertFails(2, "would overwrite the input image", "--out-folder-is-input");

        string broken = Path.Combine(_folder, "broken.xml");
        File.WriteAllText(broken, "<opencv_storage><cascade><stageType>BOOST</stageType></cascade></opencv_storage>");
        var result = CliRunner.Run("detect", "--cascade", broken, "--image", _images, "--out", outFolder);
        Assert.AreEqual(1, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stderr, "broken.xml");
        StringAssert.Contains(result.Stderr, "featureType");

        var noCascade = CliRunner.Run("detect", "--image", _images, "--out", outFolder);
        Assert.AreEqual(2, noCascade.ExitCode);
        StringAssert.Contains(noCascade.Stderr, "--cascade FILE.xml (a Haar cascade) is required");
    }

    private void AssertFails(int exitCode, string message, params string[] extra)
    {
        string outFolder = extra.Contains("--out-folder-is-input") ? _images : Path.Combine(_folder, "out");
        var args = new List<string> { "detect", "--cascade", _cascade, "--image", _images, "--out", outFolder };
        args.AddRange(extra.Where(e => e != "--out-folder-is-input"));
        var result = CliRunner.Run(args.ToArray());
        Assert.AreEqual(exitCode, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stderr, message);
    }
}
