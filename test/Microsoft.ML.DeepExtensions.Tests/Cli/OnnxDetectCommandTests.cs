using System.Text.Json;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Models;
using Microsoft.ML.DeepExtensions.Vision.Detection;

namespace Microsoft.ML.DeepExtensions.Tests.Cli;

/// <summary><c>deepext detect --model FILE.onnx --kind ...</c>, in-process.</summary>
[TestClass]
public sealed class OnnxDetectCommandTests
{
    [TestMethod]
    public void DetectWritesAnnotatedImagesAndTheReferenceDetectionsAsJson()
    {
        var images = ExpectedDetections.Images("yolov8").Take(2).ToArray();
        string input = Folder(), output = Path.Combine(Folder(), "out");
        try
        {
            foreach (var image in images)
                File.Copy(image.Path, Path.Combine(input, Path.GetFileName(image.Path)));
            var result = CliRunner.Run("detect", "--model", ExpectedDetections.ModelFile("yolov8"), "--kind", "yolov8", "--image", input, "--out", output);
            Assert.AreEqual(0, result.ExitCode, result.ToString());
            foreach (var image in images)
                Assert.IsTrue(File.Exists(Path.Combine(output, Path.GetFileNameWithoutExtension(image.Path) + ".png")), result.ToString());

            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "detections.json")));
            var documents = json.RootElement.EnumerateArray().ToArray();
            Assert.AreEqual(images.Length, documents.Length);
            foreach (var image in images)
            {
                var document = documents.Single(d => Path.GetFileName(d.GetProperty("image").GetString()) == Path.GetFileName(image.Path));
                var read = DetectionJson.Deserialize(document.GetRawText());
                ExpectedDetections.AssertMatches(image, read.Detections, "detections.json");
            }

            var again = CliRunner.Run("detect", "--model", ExpectedDetections.ModelFile("yolov8"), "--kind", "yolov8", "--image", input, "--out", output);
            Assert.AreEqual(2, again.ExitCode, again.ToString());
            StringAssert.Contains(again.Stderr, "already exists (pass --force to overwrite it)");
        }
        finally
        {
            Directory.Delete(input, recursive: true);
        }
    }

    [TestMethod]
    [DataRow("yolov8-seg")]
    [DataRow("yolov10")]
    public void DetectReadsSegmentationAndEndToEndExports(string kind)
    {
        var image = ExpectedDetections.Images(kind)[1];
        string output = Folder();
        try
        {
            var result = CliRunner.Run("detect", "--model", ExpectedDetections.ModelFile(kind), "--kind", kind, "--image", image.Path, "--out", output, "--force");
            Assert.AreEqual(0, result.ExitCode, result.ToString());
            Assert.IsTrue(File.Exists(Path.Combine(output, Path.GetFileNameWithoutExtension(image.Path) + ".png")), result.ToString());
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "detections.json")));
            var read = DetectionJson.Deserialize(json.RootElement[0].GetRawText());
            ExpectedDetections.AssertMatches(image, read.Detections, $"{kind} detections.json");
            if (kind == "yolov8-seg")
            {
                Assert.IsNotNull(read.Detections.Masks, "segmentation masks are written to detections.json");
                for (int i = 0; i < read.Detections.Count; i++)
                {
                    var (intersection, union) = ExpectedDetections.Overlap(read.Detections.Masks[i], ExpectedDetections.DecodeMask(image.Detections[i].Mask!.Value));
                    Assert.IsTrue(union == 0 || intersection >= 0.99 * union, $"mask {i}: IoU {intersection}/{union}");
                }
            }
            else
            {
                Assert.IsNull(read.Detections.Masks);
            }
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [TestMethod]
    public void WrongKindAndUndecodableImagesAreReportedClearly()
    {
        string folder = Folder();
        try
        {
            var wrong = CliRunner.Run("detect", "--model", ExpectedDetections.ModelFile("yolov5"), "--kind", "yolov8",
                "--image", ExpectedDetections.Images("yolov5")[0].Path, "--out", Path.Combine(folder, "a"));
            Assert.AreEqual(1, wrong.ExitCode, wrong.ToString());
            StringAssert.Contains(wrong.Stderr, "looks like a YOLOv5 export");

            var unnamed = CliRunner.Run("detect", "--model", ExpectedDetections.ModelFile("yolov3"), "--kind", "yolov3",
                "--image", ExpectedDetections.Images("yolov3")[0].Path, "--out", Path.Combine(folder, "c"));
            Assert.AreEqual(1, unnamed.ExitCode, unnamed.ToString());
            StringAssert.Contains(unnamed.Stderr, "has no class names in its metadata");
            StringAssert.Contains(unnamed.Stderr, "--classes FILE");

            File.WriteAllBytes(Path.Combine(folder, "broken.jpg"), new byte[] { 0xFF, 0xD8, 0xFF, 1, 2, 3 });
            File.Copy(ExpectedDetections.Images("yolov8")[0].Path, Path.Combine(folder, "good.png"));
            var mixed = CliRunner.Run("detect", "--model", ExpectedDetections.ModelFile("yolov8"), "--kind", "yolov8",
                "--image", folder, "--out", Path.Combine(folder, "b"));
            Assert.AreEqual(1, mixed.ExitCode, mixed.ToString());
            StringAssert.Contains(mixed.Stderr, "is not an image SkiaSharp can decode");
            StringAssert.Contains(mixed.Stderr, "broken.jpg");
            Assert.IsTrue(File.Exists(Path.Combine(folder, "b", "good.png")), "the decodable image is still written");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string Folder()
    {
        string path = Path.Combine(Path.GetTempPath(), $"dx-detect-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }
}
