using System.Text.Json;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Training;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Yolo.Training;
using Microsoft.ML.DeepExtensions.Vision;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo.Training;

namespace Microsoft.ML.DeepExtensions.Tests.Cli;

/// <summary>
/// <c>deepext export --model model.zip --out model.onnx|model.cfg</c> for a YOLO detector's model.zip, and <c>deepext detect</c>
/// on the export (<c>--kind yolov5</c>, <c>--kind yolov10</c> or <c>--cfg</c>, with the model's thresholds) giving the trained
/// detector's detections.
/// </summary>
[TestClass]
public sealed class YoloOnnxExportCommandTests
{
    [TestMethod]
    public void AYoloModelExportsToOnnxAndDarknetAndDetectTheExportsFindItsDetections()
    {
        using var data = SyntheticDetectionData.Create(16, seed: 9, width: 96, height: 80, minSide: 16, maxSide: 36);
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1).RegisterDeepExtensions();
        var options = YoloTrainerTests.SmallOptions(epochs: 1);
        options.ConfidenceThreshold = 0.001f; // one epoch: no score reaches the default 0.05 yet
        var view = data.Dataset.ToDataView();
        using var trained = ml.ObjectDetection().Trainers.Yolo(options).Fit(view);
        string model = folder.File("shapes.zip"), onnx = folder.File("shapes.onnx");
        ml.Model.Save(trained, view.Schema, model);

        var export = CliRunner.Run("export", "--model", model, "--out", onnx);
        Assert.AreEqual(0, export.ExitCode, export.ToString());
        StringAssert.Contains(export.Stderr, "YOLOv5's layout");
        var wrongFormat = CliRunner.Run("export", "--model", model, "--out", folder.File("shapes.pt"));
        Assert.AreEqual(1, wrongFormat.ExitCode, wrongFormat.ToString());
        StringAssert.Contains(wrongFormat.Stderr, "is a YOLO detector, which exports to .onnx");

        // detect on the export with the thresholds the trained model keeps.
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        string images = Path.GetDirectoryName(data.Dataset.Images[0].Path)!;
        var detect = CliRunner.Run("detect", "--model", onnx, "--kind", "yolov5", "--image", images, "--out", folder.File("onnx"), "--device", "cpu",
            "--confidence", trained.ConfidenceThreshold.ToString("R", invariant), "--iou", trained.IouThreshold.ToString("R", invariant),
            "--max-detections", trained.MaxDetections.ToString(invariant));
        Assert.AreEqual(0, detect.ExitCode, detect.ToString());

        // With --nms the graph selects; detect reads it end to end (yolov10 layout).
        string endToEnd = folder.File("shapes-nms.onnx");
        var exportNms = CliRunner.Run("export", "--model", model, "--out", endToEnd, "--nms");
        Assert.AreEqual(0, exportNms.ExitCode, exportNms.ToString());
        var detectNms = CliRunner.Run("detect", "--model", endToEnd, "--kind", "yolov10", "--image", images, "--out", folder.File("nms"), "--device", "cpu",
            "--confidence", "0", "--max-detections", trained.MaxDetections.ToString(invariant));
        Assert.AreEqual(0, detectNms.ExitCode, detectNms.ToString());

        // To .cfg: the Darknet cfg, .weights and .names, which detect --cfg runs with the model's thresholds.
        string cfg = folder.File("shapes.cfg");
        var exportDarknet = CliRunner.Run("export", "--model", model, "--out", cfg);
        Assert.AreEqual(0, exportDarknet.ExitCode, exportDarknet.ToString());
        CollectionAssert.AreEqual(trained.ClassNames.ToArray(), File.ReadAllLines(folder.File("shapes.names")));
        File.Delete(cfg);
        var existingWeights = CliRunner.Run("export", "--model", model, "--out", cfg);
        Assert.AreEqual(2, existingWeights.ExitCode, existingWeights.ToString());
        StringAssert.Contains(existingWeights.Stderr, "shapes.weights' already exists (pass --force to overwrite it)");
        Assert.IsFalse(File.Exists(cfg), "nothing is written when one of the three files may not be replaced");
        exportDarknet = CliRunner.Run("export", "--model", model, "--out", cfg, "--force");
        Assert.AreEqual(0, exportDarknet.ExitCode, exportDarknet.ToString());
        var detectDarknet = CliRunner.Run("detect", "--cfg", cfg, "--weights", folder.File("shapes.weights"), "--classes", folder.File("shapes.names"),
            "--image", images, "--out", folder.File("darknet"), "--device", "cpu",
            "--confidence", trained.ConfidenceThreshold.ToString("R", invariant), "--iou", trained.IouThreshold.ToString("R", invariant),
            "--max-detections", trained.MaxDetections.ToString(invariant));
        Assert.AreEqual(0, detectDarknet.ExitCode, detectDarknet.ToString());

        int total = 0;
        foreach (var output in new[] { "onnx", "nms", "darknet" })
            total += AssertDetectionsOf(trained, folder.File($"{output}/detections.json"));
        Assert.IsTrue(total > 0, "the trained model finds something");
    }

    /// <summary>Checks each image's detections in a detections.json of detect against the trained detector's; returns their count.</summary>
    private static int AssertDetectionsOf(ObjectDetectionTransformer trained, string detectionsJson)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(detectionsJson));
        var results = json.RootElement.EnumerateArray().ToArray();
        Assert.AreEqual(16, results.Length);
        int total = 0;
        foreach (var result in results)
        {
            string path = result.GetProperty("image").GetString()!;
            using var image = MLImage.CreateFromFile(path);
            var expected = trained.Detect(image);
            var actual = result.GetProperty("detections").EnumerateArray().Select(d =>
            {
                var box = d.GetProperty("box").EnumerateArray().Select(v => v.GetSingle()).ToArray();
                return new DetectedObject(box[0], box[1], box[2], box[3], d.GetProperty("classIndex").GetInt32(), d.GetProperty("score").GetSingle());
            }).ToArray();
            Vision.Onnx.YoloOnnxExportTests.AssertSameDetections(Enumerable.Range(0, expected.Count).Select(k => expected[k]).ToArray(), actual, path);
            total += actual.Length;
        }
        return total;
    }
}
