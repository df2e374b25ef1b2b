using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Models;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Yolo;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection.Rcnn;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Rcnn;

/// <summary>
/// The R-CNN transform against torchvision's own forward (generate_detection_models.py) on the generated
/// Faster/Mask R-CNN exports (torchvision's classes on a tiny backbone) and real photos.
/// </summary>
[TestClass]
public sealed class RcnnObjectDetectorTests
{
    private static RcnnObjectDetector.Options OptionsFor(string kind) => new()
    {
        ModelPath = ExpectedDetections.ModelFile(kind),
        Variant = kind == "mask-rcnn" ? RcnnVariant.MaskRcnn : RcnnVariant.FasterRcnn,
        ClassNamesFile = ExpectedDetections.PathOf("rcnn_classes.txt"),
        ConfidenceThreshold = 0f, // the reference keeps everything above the model's own box_score_thresh
        Device = ComputeDevice.Cpu,
    };

    [TestMethod]
    [DataRow("faster-rcnn")]
    [DataRow("mask-rcnn")]
    public void TransformMatchesTorchvision(string kind)
    {
        var ml = new MLContext(seed: 1);
        var images = ExpectedDetections.Images(kind);
        var data = YoloObjectDetectorTests.LoadImages(ml, images.Select(i => i.Path));
        using var detector = ml.Transforms.DetectObjectsRcnn(OptionsFor(kind)).Fit(data);
        var results = detector.Columns.ReadDetections(detector.Transform(data)).ToArray();
        for (int i = 0; i < images.Count; i++)
            ExpectedDetections.AssertMatches(images[i], results[i], kind);
    }

    [TestMethod]
    public void MasksMatchTorchvisionCroppedToTheirBoxes()
    {
        var ml = new MLContext(seed: 1);
        using var detector = RcnnObjectDetector.Create(ml, OptionsFor("mask-rcnn"));
        int compared = 0;
        foreach (var image in ExpectedDetections.Images("mask-rcnn"))
        {
            using var mlImage = Microsoft.ML.Data.MLImage.CreateFromFile(image.Path);
            var detections = detector.Detect(mlImage);
            Assert.IsNotNull(detections.Masks);
            ExpectedDetections.AssertMatches(image, detections, "Detect");
            for (int i = 0; i < detections.Count; i++)
            {
                var want = image.Detections[i].Mask!.Value;
                var got = detections.Masks[i];
                var expected = ExpectedDetections.DecodeMask(want);
                var (intersection, union) = ExpectedDetections.Overlap(got, expected);
                Assert.AreEqual(expected.Area(), got.Area(), Math.Max(2, expected.Area() * 0.01), $"{image.Path} mask {i}: object pixels.");
                Assert.IsTrue(union == 0 || intersection >= 0.99 * union, $"{image.Path} mask {i}: IoU {intersection}/{union} with torchvision's mask.");
                compared++;
            }
        }
        Assert.IsTrue(compared > 0, "No masks were compared.");
    }

    [TestMethod]
    public void ThePredictedMasksColumnHoldsTheSameMasksAsDetect()
    {
        var ml = new MLContext(seed: 1);
        var images = ExpectedDetections.Images("mask-rcnn");
        var data = YoloObjectDetectorTests.LoadImages(ml, images.Select(i => i.Path));
        using var detector = ml.Transforms.DetectObjectsRcnn(OptionsFor("mask-rcnn")).Fit(data);
        var scored = detector.Transform(data);
        Assert.IsInstanceOfType<Microsoft.ML.Data.VectorDataViewType>(scored.Schema["PredictedMasks"].Type);
        using var cursor = scored.GetRowCursor(scored.Schema);
        var getBoxes = cursor.GetGetter<Microsoft.ML.Data.VBuffer<float>>(scored.Schema["PredictedBoundingBoxes"]);
        var getMasks = cursor.GetGetter<Microsoft.ML.Data.VBuffer<byte>>(scored.Schema["PredictedMasks"]);
        Microsoft.ML.Data.VBuffer<float> boxes = default;
        Microsoft.ML.Data.VBuffer<byte> masks = default;
        int row = 0, compared = 0;
        while (cursor.MoveNext())
        {
            getBoxes(ref boxes);
            getMasks(ref masks);
            var fromColumns = global::Microsoft.ML.DeepExtensions.Vision.Detection.Segmentation.InstanceMasks.FromColumns(boxes.DenseValues().ToArray(), masks.DenseValues().ToArray());
            using var image = Microsoft.ML.Data.MLImage.CreateFromFile(images[row].Path);
            var direct = detector.Detect(image).Masks!;
            Assert.AreEqual(direct.Count, fromColumns.Length);
            for (int i = 0; i < direct.Count; i++)
            {
                Assert.AreEqual((direct[i].Left, direct[i].Top, direct[i].Width, direct[i].Height), (fromColumns[i].Left, fromColumns[i].Top, fromColumns[i].Width, fromColumns[i].Height));
                CollectionAssert.AreEqual(direct[i].Pixels.ToArray(), fromColumns[i].Pixels.ToArray());
                compared++;
            }
            row++;
        }
        Assert.AreEqual(images.Count, row);
        Assert.IsTrue(compared > 0);
    }

    [TestMethod]
    public void ConfidenceAndMaxDetectionsCutTheList()
    {
        var ml = new MLContext(seed: 1);
        var image = ExpectedDetections.Images("faster-rcnn").OrderByDescending(i => i.Detections.Length).First();
        var options = OptionsFor("faster-rcnn");
        options.MaxDetections = 1;
        using var detector = RcnnObjectDetector.Create(ml, options);
        using var mlImage = Microsoft.ML.Data.MLImage.CreateFromFile(image.Path);
        var one = detector.Detect(mlImage);
        Assert.AreEqual(1, one.Count);
        Assert.AreEqual(image.Detections[0].Score, one[0].Score, ExpectedDetections.ScoreTolerance);

        options = OptionsFor("faster-rcnn");
        float cut = image.Detections.Length > 1 ? (image.Detections[0].Score + image.Detections[^1].Score) / 2 : 0.99f;
        options.ConfidenceThreshold = cut;
        using var strict = RcnnObjectDetector.Create(ml, options);
        var kept = strict.Detect(mlImage);
        Assert.AreEqual(image.Detections.Count(d => d.Score > cut), kept.Count);
    }

    [TestMethod]
    public void WrongVariantSaysWhatTheFileLooksLike()
    {
        var ml = new MLContext(seed: 1);
        var options = OptionsFor("mask-rcnn");
        options.Variant = RcnnVariant.FasterRcnn;
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => RcnnObjectDetector.Create(ml, options));
        StringAssert.Contains(error.Message, "looks like a torchvision Mask R-CNN export");

        options = OptionsFor("faster-rcnn");
        options.ModelPath = ExpectedDetections.ModelFile("yolov8");
        error = Assert.ThrowsExactly<InvalidOperationException>(() => RcnnObjectDetector.Create(ml, options));
        StringAssert.Contains(error.Message, "looks like a YOLOv8-or-later export");
    }

    [TestMethod]
    public void TooFewLabelNamesAreAClearError()
    {
        var ml = new MLContext(seed: 1);
        var options = OptionsFor("faster-rcnn");
        options.ClassNamesFile = null;
        options.ClassNames = new[] { "__background__" };
        using var detector = RcnnObjectDetector.Create(ml, options);
        var image = ExpectedDetections.Images("faster-rcnn")[0];
        using var mlImage = Microsoft.ML.Data.MLImage.CreateFromFile(image.Path);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => detector.Detect(mlImage));
        StringAssert.Contains(error.Message, "but only 1 label names were given");
    }
}
