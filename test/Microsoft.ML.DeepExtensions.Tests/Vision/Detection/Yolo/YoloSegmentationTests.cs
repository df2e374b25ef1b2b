using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Models;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection.Segmentation;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Yolo;

/// <summary>
/// YOLOv8-and-later segmentation exports ([B, 4 + C + 32, N] and prototypes [B, 32, H/4, W/4]) against the reference
/// (generate_detection_models.py: the PyTorch forward, NMS, then Ultralytics' process_mask(upsample=True) and
/// scale_image re-implemented from its published ops.py) on real photos.
/// </summary>
[TestClass]
public sealed class YoloSegmentationTests
{
    private static YoloObjectDetector.Options Options() => new()
    {
        ModelPath = ExpectedDetections.ModelFile("yolov8-seg"),
        Version = YoloVersion.V8Segmentation,
        Device = ComputeDevice.Cpu,
    };

    [TestMethod]
    public void MasksMatchUltralyticsPostProcessing()
    {
        var ml = new MLContext(seed: 1);
        using var detector = YoloObjectDetector.Create(ml, Options());
        int compared = 0, nonEmpty = 0;
        double worst = 1;
        foreach (var image in ExpectedDetections.Images("yolov8-seg"))
        {
            using var mlImage = MLImage.CreateFromFile(image.Path);
            var detections = detector.Detect(mlImage);
            ExpectedDetections.AssertMatches(image, detections, "segmentation");
            Assert.IsNotNull(detections.Masks);
            for (int i = 0; i < detections.Count; i++)
            {
                var expected = ExpectedDetections.DecodeMask(image.Detections[i].Mask!.Value);
                var got = detections.Masks[i];
                var (intersection, union) = ExpectedDetections.Overlap(got, expected);
                double iou = union == 0 ? 1 : (double)intersection / union;
                worst = Math.Min(worst, iou);
                Assert.IsTrue(iou >= 0.99, $"{Path.GetFileName(image.Path)} mask {i}: IoU {intersection}/{union} = {iou:F4} with the reference mask ({expected.Area()} pixels).");
                compared++;
                nonEmpty += expected.Area() > 0 ? 1 : 0;
            }
        }
        Assert.IsTrue(nonEmpty >= 10, $"Only {nonEmpty} non-empty masks were compared.");
        Console.WriteLine($"{compared} masks compared, smallest IoU {worst:F4}");
    }

    [TestMethod]
    public void ThePredictedMasksColumnHoldsEachMaskWithinItsBox()
    {
        var ml = new MLContext(seed: 1);
        var images = ExpectedDetections.Images("yolov8-seg");
        var data = YoloObjectDetectorTests.LoadImages(ml, images.Select(i => i.Path));
        var options = Options();
        options.BatchSize = 3;
        using var detector = ml.Transforms.DetectObjectsYolo(options).Fit(data);
        var scored = detector.Transform(data);
        Assert.AreEqual(NumberDataViewType.Byte, ((VectorDataViewType)scored.Schema["PredictedMasks"].Type).ItemType);
        using var cursor = scored.GetRowCursor(scored.Schema);
        var getBoxes = cursor.GetGetter<VBuffer<float>>(scored.Schema["PredictedBoundingBoxes"]);
        var getMasks = cursor.GetGetter<VBuffer<byte>>(scored.Schema["PredictedMasks"]);
        VBuffer<float> boxes = default;
        VBuffer<byte> masks = default;
        int row = 0, reachingPast = 0;
        while (cursor.MoveNext())
        {
            getBoxes(ref boxes);
            getMasks(ref masks);
            var fromColumn = InstanceMasks.FromColumns(boxes.DenseValues().ToArray(), masks.DenseValues().ToArray());
            using var image = MLImage.CreateFromFile(images[row].Path);
            var direct = detector.Detect(image);
            Assert.AreEqual(direct.Count, fromColumn.Length);
            for (int i = 0; i < direct.Count; i++)
            {
                var mask = direct.Masks![i];
                var cut = fromColumn[i];
                for (int y = cut.Top; y < cut.Top + cut.Height; y++)
                {
                    for (int x = cut.Left; x < cut.Left + cut.Width; x++)
                        Assert.AreEqual(mask.Contains(x, y), cut.Contains(x, y), $"row {row}, mask {i}, pixel ({x}, {y})");
                }
                reachingPast += mask.Area() > cut.Area() ? 1 : 0;
            }
            row++;
        }
        Assert.AreEqual(images.Count, row);
        Assert.IsTrue(reachingPast > 0, "some masks of these photos reach past their boxes (see the generator's output), so the cut was exercised");
    }

    [TestMethod]
    public void AskingForTheWrongLayoutSaysWhatTheFileLooksLike()
    {
        var ml = new MLContext(seed: 1);
        var options = Options();
        options.Version = YoloVersion.V8;
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => YoloObjectDetector.Create(ml, options));
        StringAssert.Contains(error.Message, "does not have the YOLOv8 layout");
        StringAssert.Contains(error.Message, "looks like a YOLOv8-or-later segmentation export");
        StringAssert.Contains(error.Message, "5 classes, mask prototypes [batch,32,40,40]");
        StringAssert.Contains(error.Message, "Ask for YOLOv8 segmentation (YoloVersion.V8Segmentation) instead");

        // A detection export has no prototypes.
        options = Options();
        options.ModelPath = ExpectedDetections.ModelFile("yolov8");
        error = Assert.ThrowsExactly<InvalidOperationException>(() => YoloObjectDetector.Create(ml, options));
        StringAssert.Contains(error.Message, "does not have the YOLOv8 segmentation (YoloVersion.V8Segmentation) layout");
        StringAssert.Contains(error.Message, "the mask prototypes [B, 32, H/4, W/4]");
        StringAssert.Contains(error.Message, "looks like a YOLOv8-or-later export");
        StringAssert.Contains(error.Message, "Ask for YOLOv8 instead");
    }

    [TestMethod]
    public void AClassCountMismatchNamesBothCounts()
    {
        var ml = new MLContext(seed: 1);
        var options = Options();
        options.ClassNames = new[] { "a", "b", "c" };
        var error = Assert.ThrowsExactly<InvalidDataException>(() => YoloObjectDetector.Create(ml, options));
        StringAssert.Contains(error.Message, "predicts 5 classes, but ClassNames has 3 names");
    }

    [TestMethod]
    public void ASavedSegmenterLoadsBackWithItsMasks()
    {
        var ml = new MLContext(seed: 1).RegisterDeepExtensions();
        var images = ExpectedDetections.Images("yolov8-seg");
        var data = YoloObjectDetectorTests.LoadImages(ml, images.Select(i => i.Path));
        string path = Path.Combine(Path.GetTempPath(), $"dx-yolo-seg-{Guid.NewGuid():N}.zip");
        try
        {
            using (var detector = ml.Transforms.DetectObjectsYolo(Options()).Fit(data))
                ml.Model.Save(detector, data.Schema, path);
            var loaded = ml.Model.Load(path, out _);
            var yolo = (YoloObjectDetector)(loaded is TransformerChain<ITransformer> chain ? chain.Single() : loaded);
            try
            {
                Assert.AreEqual(YoloVersion.V8Segmentation, yolo.Version);
                Assert.AreEqual("PredictedMasks", yolo.Columns.PredictedMasksColumnName);
                using var image = MLImage.CreateFromFile(images[1].Path);
                var detections = yolo.Detect(image);
                ExpectedDetections.AssertMatches(images[1], detections, "loaded");
                for (int i = 0; i < detections.Count; i++)
                {
                    var (intersection, union) = ExpectedDetections.Overlap(detections.Masks![i], ExpectedDetections.DecodeMask(images[1].Detections[i].Mask!.Value));
                    Assert.IsTrue(union == 0 || intersection >= 0.99 * union, $"loaded mask {i}: IoU {intersection}/{union}");
                }
            }
            finally
            {
                yolo.Dispose();
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
