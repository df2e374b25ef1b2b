using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Models;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Yolo;
using Microsoft.ML.DeepExtensions.Vision;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;
using Microsoft.ML.DeepExtensions.Vision.Evaluation;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Evaluation;

/// <summary>
/// <c>mlContext.ObjectDetection().Evaluate(..., masksColumnName)</c> on a YOLO segmentation model's output: the same 12
/// numbers as <see cref="CocoEvaluation"/> (checked against pycocotools in <see cref="SegmentationMetricsTests"/>) over
/// the same masks given as COCO objects.
/// </summary>
[TestClass]
public sealed class SegmentationEvaluateTests
{
    private sealed class Row
    {
        public string ImagePath { get; set; } = "";
        public string[] Label { get; set; } = Array.Empty<string>();
        public float[] Box { get; set; } = Array.Empty<float>();
        public byte[] Masks { get; set; } = Array.Empty<byte>();
    }

    [TestMethod]
    public void EvaluateWithMasksGivesCocoSegmentationMetrics()
    {
        var ml = new MLContext(seed: 1);
        var names = File.ReadAllLines(ExpectedDetections.PathOf("yolo_classes.txt")).Where(l => l.Length > 0).ToArray();
        var images = ExpectedDetections.Images("yolov8-seg");
        // Ground truth: the reference detections with their (Ultralytics-reference) masks cut to their boxes; the last
        // detection of each image is left out so that there are false positives too.
        var rows = images.Select(image =>
        {
            var kept = image.Detections.Take(Math.Max(1, image.Detections.Length - 1)).ToArray();
            return new Row
            {
                ImagePath = image.Path,
                Label = kept.Select(d => names[d.Label]).ToArray(),
                Box = kept.SelectMany(d => d.Box).ToArray(),
                Masks = kept.SelectMany(d => CutToBox(ExpectedDetections.DecodeMask(d.Mask!.Value), d.Box).Pixels.ToArray()).ToArray(),
            };
        }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var options = new YoloObjectDetector.Options { ModelPath = ExpectedDetections.ModelFile("yolov8-seg"), Version = YoloVersion.V8Segmentation, Device = ComputeDevice.Cpu };
        var pipeline = ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(Row.ImagePath))
            .Append(ml.Transforms.DetectObjectsYolo(options));
        var model = pipeline.Fit(data);
        var metrics = ml.ObjectDetection().Evaluate(model.Transform(data), masksColumnName: nameof(Row.Masks));
        var boxMetrics = ml.ObjectDetection().Evaluate(model.Transform(data));

        // The same objects as COCO data.
        using var detector = YoloObjectDetector.Create(ml, options);
        var cocoImages = images.Select((image, i) => new CocoImage(i + 1, null, image.Width, image.Height)).ToArray();
        var annotations = new List<CocoAnnotation>();
        var results = new List<CocoDetectionResult>();
        for (int i = 0; i < images.Count; i++)
        {
            var (width, height) = (images[i].Width, images[i].Height);
            var row = rows[i];
            var truthMasks = Microsoft.ML.DeepExtensions.Vision.Detection.Segmentation.InstanceMasks.FromColumns(row.Box, row.Masks);
            for (int k = 0; k < row.Label.Length; k++)
            {
                var rle = RunLengthEncodedMask.FromInstanceMask(truthMasks[k], height, width);
                annotations.Add(new CocoAnnotation(annotations.Count + 1, i + 1, Array.IndexOf(names, row.Label[k]) + 1, row.Box[4 * k], row.Box[4 * k + 1],
                    row.Box[4 * k + 2] - row.Box[4 * k], row.Box[4 * k + 3] - row.Box[4 * k + 1], rle.Area(), false, rle));
            }
            using var image = Microsoft.ML.Data.MLImage.CreateFromFile(images[i].Path);
            var detections = detector.Detect(image);
            for (int k = 0; k < detections.Count; k++)
            {
                var d = detections[k];
                var cut = CutToBox(detections.Masks![k], new[] { d.X0, d.Y0, d.X1, d.Y1 }); // what the PredictedMasks column holds
                results.Add(new CocoDetectionResult(i + 1, d.ClassIndex + 1, d.X0, d.Y0, d.Width, d.Height, d.Score, RunLengthEncodedMask.FromInstanceMask(cut, height, width)));
            }
        }
        var categories = names.Select((n, i) => new CocoCategory(i + 1, n)).ToArray();
        var coco = CocoEvaluation.Evaluate(new CocoGroundTruth(cocoImages, annotations, categories), results, CocoIouType.Segmentation);

        for (int s = 0; s < 12; s++)
            Assert.AreEqual(coco.Stats[s], metrics.Stats[s], 1e-12, DetectionMetrics.StatNames[s]);
        Assert.IsTrue(metrics.AP50 > 0.5, $"near-identical masks score well at IoU 0.5, got AP50 {metrics.AP50}");
        Assert.AreNotEqual(boxMetrics.AP, metrics.AP, "masks, not boxes, were compared");
    }

    [TestMethod]
    public void AMasksColumnOfTheWrongSizeIsNamed()
    {
        var ml = new MLContext(seed: 1);
        var image = ExpectedDetections.Images("yolov8-seg")[0];
        var names = File.ReadAllLines(ExpectedDetections.PathOf("yolo_classes.txt")).Where(l => l.Length > 0).ToArray();
        var d = image.Detections[0];
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { ImagePath = image.Path, Label = new[] { names[d.Label] }, Box = d.Box, Masks = new byte[] { 1, 0, 1 } } });
        var options = new YoloObjectDetector.Options { ModelPath = ExpectedDetections.ModelFile("yolov8-seg"), Version = YoloVersion.V8Segmentation, Device = ComputeDevice.Cpu };
        var scored = ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(Row.ImagePath)).Append(ml.Transforms.DetectObjectsYolo(options)).Fit(data).Transform(data);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => ml.ObjectDetection().Evaluate(scored, masksColumnName: nameof(Row.Masks)));
        StringAssert.Contains(error.Message, "Row 0, column 'Masks'");
        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.ObjectDetection().Evaluate(scored, masksColumnName: "GroundTruthMasks"));
        StringAssert.Contains(missing.Message, "Masks column 'GroundTruthMasks' not found");
    }

    /// <summary>The mask over its box rounded out to whole pixels (the PredictedMasks column's rectangle).</summary>
    private static InstanceMask CutToBox(InstanceMask mask, float[] box)
    {
        int left = (int)MathF.Floor(box[0]), top = (int)MathF.Floor(box[1]);
        int width = (int)MathF.Ceiling(box[2]) - left, height = (int)MathF.Ceiling(box[3]) - top;
        var pixels = new byte[width * height];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
                pixels[y * width + x] = mask.Contains(left + x, top + y) ? (byte)1 : (byte)0;
        }
        return new InstanceMask(left, top, width, height, pixels);
    }
}
