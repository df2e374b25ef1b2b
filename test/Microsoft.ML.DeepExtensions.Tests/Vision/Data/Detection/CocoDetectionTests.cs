using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision;
using Microsoft.ML.DeepExtensions.Vision.Data.Detection;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Data.Detection;

[TestClass]
public sealed class CocoDetectionTests
{
    private DetectionTestFolder _folder = null!;

    [TestInitialize]
    public void CreateFolder() => _folder = new DetectionTestFolder();

    [TestCleanup]
    public void DeleteFolder() => _folder.Dispose();

    /// <summary>Two images (one background), categories 3 = "dog" and 1 = "cat", a polygon, a crowd run-length region.</summary>
    private string WriteSample(string? imagesAt = "images/")
    {
        _folder.Image(imagesAt + "a.png", 40, 30);
        _folder.Image(imagesAt + "b.jpg", 20, 10);
        return _folder.Text("instances.json", """
            {"images": [{"id": 7, "file_name": "a.png", "width": 40, "height": 30}, {"id": 9, "file_name": "b.jpg"}],
             "categories": [{"id": 3, "name": "dog"}, {"id": 1, "name": "cat"}],
             "annotations": [
               {"id": 1, "image_id": 7, "category_id": 3, "bbox": [2, 3, 10, 5], "iscrowd": 0,
                "segmentation": [[2, 3, 12, 3, 12, 8, 2, 8]]},
               {"id": 2, "image_id": 7, "category_id": 1, "bbox": [20, 10, 4, 2], "iscrowd": 1,
                "segmentation": {"counts": [620, 2, 28, 2, 28, 2, 28, 2, 488], "size": [30, 40]}},
               {"id": 3, "image_id": 7, "category_id": 1, "bbox": [-0.5, 0, 40.8, 30]}
             ]}
            """);
    }

    [TestMethod]
    public void ReadsBoxesClassesCrowdAndSegmentations()
    {
        var json = WriteSample();

        var data = DetectionDataset.ReadCoco(json);

        CollectionAssert.AreEqual(new[] { "cat", "dog" }, data.ClassNames.ToArray(), "classes are the categories sorted by id");
        Assert.AreEqual(2, data.Images.Count);
        var a = data.Images[0];
        Assert.AreEqual((7L, _folder.PathOf("images/a.png"), 40, 30), (a.Id, a.Path, a.Width, a.Height));
        Assert.AreEqual(3, a.Objects.Count);
        Assert.AreEqual((1, 2f, 3f, 12f, 8f, false), (a.Objects[0].ClassIndex, a.Objects[0].X0, a.Objects[0].Y0, a.Objects[0].X1, a.Objects[0].Y1, a.Objects[0].IsCrowd));
        Assert.AreEqual((0, 20f, 10f, 24f, 12f, true), (a.Objects[1].ClassIndex, a.Objects[1].X0, a.Objects[1].Y0, a.Objects[1].X1, a.Objects[1].Y1, a.Objects[1].IsCrowd));
        Assert.AreEqual((0f, 0f, 40f, 30f), (a.Objects[2].X0, a.Objects[2].Y0, a.Objects[2].X1, a.Objects[2].Y1), "a box within 1 pixel outside the image is clipped");
        Assert.IsNull(a.Objects[2].Segmentation);

        var polygon = a.Objects[0].Segmentation!.ToMask(40, 30);
        Assert.AreEqual(50, polygon.Area(), "the 10x5 rectangle's pixels");
        Assert.IsTrue(polygon.Contains(2, 3) && polygon.Contains(11, 7) && !polygon.Contains(12, 7) && !polygon.Contains(11, 8));
        var rle = a.Objects[1].Segmentation!.ToMask(40, 30);
        Assert.AreEqual(8, rle.Area());
        Assert.IsTrue(rle.Contains(20, 20) && rle.Contains(23, 21) && !rle.Contains(24, 20) && !rle.Contains(20, 22));
        Assert.AreEqual((20f, 20f, 24f, 22f), a.Objects[1].Segmentation!.Bounds());

        var b = data.Images[1];
        Assert.AreEqual((9L, 20, 10, 0), (b.Id, b.Width, b.Height, b.Objects.Count), "the size comes from the header; no annotations = background");
    }

    [TestMethod]
    public void DataViewHasTheObjectDetectionColumns()
    {
        var view = new MLContext().Data.LoadCocoDetection(WriteSample());

        var label = view.Schema["Label"];
        Assert.AreEqual(new VectorDataViewType(new KeyDataViewType(typeof(uint), 2)), label.Type);
        VBuffer<ReadOnlyMemory<char>> names = default;
        label.GetKeyValues(ref names);
        CollectionAssert.AreEqual(new[] { "cat", "dog" }, names.DenseValues().Select(n => n.ToString()).ToArray());
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single), view.Schema["Box"].Type);
        Assert.AreEqual(new VectorDataViewType(BooleanDataViewType.Instance), view.Schema["IsCrowd"].Type);

        using var cursor = view.GetRowCursor(view.Schema);
        var getLabels = cursor.GetGetter<VBuffer<uint>>(label);
        var getBoxes = cursor.GetGetter<VBuffer<float>>(view.Schema["Box"]);
        var getCrowd = cursor.GetGetter<VBuffer<bool>>(view.Schema["IsCrowd"]);
        var getSegmentation = cursor.GetGetter<VBuffer<float>>(view.Schema["Segmentation"]);
        var getImage = cursor.GetGetter<MLImage>(view.Schema["Image"]);
        var getWidth = cursor.GetGetter<int>(view.Schema["ImageWidth"]);
        VBuffer<uint> labels = default;
        VBuffer<float> boxes = default, segmentation = default;
        VBuffer<bool> crowd = default;
        MLImage image = null!;
        int width = 0;

        Assert.IsTrue(cursor.MoveNext());
        getLabels(ref labels);
        getBoxes(ref boxes);
        getCrowd(ref crowd);
        getSegmentation(ref segmentation);
        getImage(ref image);
        getWidth(ref width);
        CollectionAssert.AreEqual(new uint[] { 2, 1, 1 }, labels.DenseValues().ToArray());
        CollectionAssert.AreEqual(new float[] { 2, 3, 12, 8, 20, 10, 24, 12, 0, 0, 40, 30 }, boxes.DenseValues().ToArray());
        CollectionAssert.AreEqual(new[] { false, true, false }, crowd.DenseValues().ToArray());
        Assert.AreEqual((40, 30, 40), (image.Width, image.Height, width));
        image.Dispose();
        var masks = SegmentationColumn.ToMasks(segmentation, 3, 40, 30);
        Assert.AreEqual((50, 8), (masks[0]!.Area(), masks[1]!.Area()));
        Assert.IsNull(masks[2]);

        Assert.IsTrue(cursor.MoveNext());
        getLabels(ref labels);
        getBoxes(ref boxes);
        Assert.AreEqual((0, 0), (labels.Length, boxes.Length), "a background image has empty vectors");
        Assert.IsFalse(cursor.MoveNext());
    }

    [TestMethod]
    public void LoadedDataFeedsADetectorAndEvaluateWithCrowdRegions()
    {
        // FakeDetector finds, in a 40-wide image, a cat at (0, 0, 40, 15); in a 41-wide one, a cat at (0, 0, 41, 15)
        // and a dog at (1, 1, 40, 16). The dog's ground truth is a crowd region over the whole image: as a crowd region
        // it absorbs the detection; as an ordinary object it overlaps it by IoU 0.48 only, a miss.
        _folder.Image("a.png", 40, 30);
        _folder.Image("b.png", 41, 30);
        var json = _folder.Text("instances.json", """
            {"images": [{"id": 1, "file_name": "a.png"}, {"id": 2, "file_name": "b.png"}],
             "categories": [{"id": 1, "name": "dog"}, {"id": 2, "name": "cat"}],
             "annotations": [
               {"id": 1, "image_id": 1, "category_id": 2, "bbox": [0, 0, 40, 15]},
               {"id": 2, "image_id": 2, "category_id": 2, "bbox": [0, 0, 41, 15]},
               {"id": 3, "image_id": 2, "category_id": 1, "bbox": [0, 0, 41, 30], "iscrowd": 1}
             ]}
            """);
        var ml = new MLContext();
        var data = ml.Data.LoadCocoDetection(json);

        var scored = new FakeDetector(ml, batchSize: 2).Transform(data);

        Assert.AreEqual(0.5, ml.ObjectDetection().Evaluate(scored).AP, 1e-9, "cat 1, dog 0: labels are matched by name, not by key");
        Assert.AreEqual(1.0, ml.ObjectDetection().Evaluate(scored, crowdColumnName: "IsCrowd").AP, 1e-9);
    }

    [TestMethod]
    public void WrittenCocoReadsBackTheSameDataset()
    {
        var data = DetectionDataset.ReadCoco(WriteSample());
        var copy = _folder.PathOf("copy/instances.json");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);

        data.WriteCoco(copy);
        var back = DetectionDataset.ReadCoco(copy);

        CollectionAssert.AreEqual(data.ClassNames.ToArray(), back.ClassNames.ToArray());
        Assert.AreEqual(data.Images.Count, back.Images.Count);
        for (int i = 0; i < data.Images.Count; i++)
        {
            Assert.AreEqual((data.Images[i].Id, data.Images[i].Path), (back.Images[i].Id, back.Images[i].Path));
            Assert.AreEqual(
                string.Join(";", data.Images[i].Objects.Select(o => $"{o} {o.Segmentation?.ToMask(40, 30).Area()}")),
                string.Join(";", back.Images[i].Objects.Select(o => $"{o} {o.Segmentation?.ToMask(40, 30).Area()}")));
        }
        var truth = Microsoft.ML.DeepExtensions.Vision.Evaluation.CocoJson.ReadGroundTruth(copy);
        CollectionAssert.AreEqual(new[] { 50.0, 8, 40 * 30 }, truth.Annotations.Select(a => a.Area).ToArray(), "area is the mask's pixel count, else the box's");
    }
}
