using Microsoft.ML.DeepExtensions.Vision.Data;
using Microsoft.ML.DeepExtensions.Vision.Data.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection.Training;
using TorchSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Training;

/// <summary>
/// The detection data path with a mask column (what Mask R-CNN trains on), on the COCO sample with polygon outlines
/// (Vision/Data/Detection/Layouts/coco-yolo, by make_detection_sample.py, whose boxes are the masks' tight boxes): letterboxed
/// from 160 × 160 to 96 × 96, each object's mask still fills its letterboxed box, and the batches carry one mask per target row.
/// </summary>
[TestClass]
public sealed class DetectionBatchSourceMaskTests
{
    private static readonly string Json = Path.Combine(AppContext.BaseDirectory, "Vision", "Data", "Detection", "Layouts", "coco-yolo", "annotations", "instances_train.json");

    /// <summary>The sample's images and outlines as a prepared source of <paramref name="imageSize"/>, and its columns.</summary>
    internal static (DetectionBatchSource Source, DetectionDataColumns Columns) PreparedSource(int imageSize, string role)
    {
        var view = new MLContext(seed: 1).Data.LoadCocoDetection(Json);
        var columns = DetectionDataColumns.Bind(view.Schema, "Image", "Label", "Box", role, DetectionDataView.SegmentationColumnName);
        var source = new DetectionBatchSource(view, columns, imageSize, torch.CPU, cacheLimitBytes: 1 << 24, role);
        source.Prepare(CancellationToken.None);
        return (source, columns);
    }

    [TestMethod]
    public void MasksAreLetterboxedWithTheImageAndBatchedPerObject()
    {
        var dataset = DetectionDataset.ReadCoco(Json);
        var (source, _) = PreparedSource(imageSize: 96, "training");
        var examples = source.Examples(CancellationToken.None).ToArray();
        Assert.AreEqual(dataset.Images.Count, examples.Length);
        const double scale = 96.0 / 160;
        for (int i = 0; i < examples.Length; i++)
        {
            var objects = dataset.Images[i].Objects;
            Assert.AreEqual(objects.Count, examples[i].Masks!.Length);
            for (int k = 0; k < objects.Count; k++)
            {
                var mask = examples[i].Masks![k];
                var box = examples[i].Boxes.AsSpan(4 * k, 4).ToArray();
                // The mask's pixels span its box (a pixel kept where at least half covered: within a pixel of the box's edges).
                Assert.AreEqual(box[0], mask.Left, 1.0, $"image {i} object {k}: left");
                Assert.AreEqual(box[1], mask.Top, 1.0, $"image {i} object {k}: top");
                Assert.AreEqual(box[2], mask.Left + mask.Width, 1.0, $"image {i} object {k}: right");
                Assert.AreEqual(box[3], mask.Top + mask.Height, 1.0, $"image {i} object {k}: bottom");
                double expectedArea = objects[k].Segmentation!.ToMask(160, 160).Area() * scale * scale;
                Assert.AreEqual(expectedArea, mask.Area(), 0.15 * expectedArea + 4, $"image {i} object {k}: area");
            }
        }

        using var scope = torch.NewDisposeScope();
        var batch = source.Batches(4, shuffle: null, CancellationToken.None).First();
        Assert.IsNotNull(batch.Masks);
        CollectionAssert.AreEqual(new long[] { batch.Targets.shape[0], 96, 96 }, batch.Masks.shape);
        var first = examples[0].Masks![0];
        Assert.AreEqual((long)first.Area(), batch.Masks[0].sum().item<long>(), "row 0 of the batch is the first object's mask");
    }

    [TestMethod]
    public void OutlinesReadForCopyPasteOnlyMakeAnObjectWithoutOneItsBox()
    {
        // The sample's annotations with the first object's outline taken away.
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Json))!;
        json["annotations"]![0]!.AsObject().Remove("segmentation");
        var folder = Path.Combine(Path.GetTempPath(), "deepext-copy-paste-outlines-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(folder, "annotations"));
        try
        {
            string edited = Path.Combine(folder, "annotations", "instances_train.json");
            File.WriteAllText(edited, json.ToJsonString());
            Directory.CreateSymbolicLink(Path.Combine(folder, "images"), Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(Json))!, "images"));
            var ml = new MLContext(seed: 1);
            var view = ml.Data.LoadCocoDetection(edited);
            var columns = DetectionDataColumns.Bind(view.Schema, "Image", "Label", "Box", "training", augmentationMaskColumn: DetectionDataView.SegmentationColumnName);
            Assert.AreEqual(DetectionDataView.SegmentationColumnName, columns.Masks);
            Assert.IsFalse(columns.OutlinesRequired);
            var source = new DetectionBatchSource(view, columns, imageSize: 160, torch.CPU, cacheLimitBytes: 1 << 24, "training");
            source.Prepare(CancellationToken.None);
            var first = source.Examples(CancellationToken.None).First();
            var mask = first.Masks![0];
            var box = first.Boxes.AsSpan(0, 4).ToArray();
            double boxArea = (box[2] - box[0]) * (box[3] - box[1]);
            Assert.AreEqual(boxArea, mask.Area(), 0.1 * boxArea, "the object without an outline is its whole box");
            Assert.IsTrue(first.Masks[1].Area() < 0.95 * (first.Boxes[6] - first.Boxes[4]) * (first.Boxes[7] - first.Boxes[5]), "the others keep their outlines");

            // A detector that learns masks refuses the same data, naming the object and the column.
            var required = DetectionDataColumns.Bind(view.Schema, "Image", "Label", "Box", "training", DetectionDataView.SegmentationColumnName);
            var strict = new DetectionBatchSource(view, required, imageSize: 160, torch.CPU, cacheLimitBytes: 1 << 24, "training");
            var error = Assert.ThrowsExactly<InvalidDataException>(() => strict.Prepare(CancellationToken.None));
            StringAssert.Contains(error.Message, "object 0 has no outline in column 'Segmentation'");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void DataWithoutOutlinesReadsNoMasksForCopyPaste()
    {
        var ml = new MLContext(seed: 1);
        var view = ml.Data.LoadCocoDetection(Json);
        var withoutOutlines = ml.Transforms.DropColumns(DetectionDataView.SegmentationColumnName).Fit(view).Transform(view);
        var columns = DetectionDataColumns.Bind(withoutOutlines.Schema, "Image", "Label", "Box", "training", augmentationMaskColumn: DetectionDataView.SegmentationColumnName);
        Assert.IsNull(columns.Masks);
    }
}
