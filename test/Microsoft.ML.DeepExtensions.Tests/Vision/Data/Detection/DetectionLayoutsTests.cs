using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Tests.Cli;
using Microsoft.ML.DeepExtensions.Vision.Data;
using Microsoft.ML.DeepExtensions.Vision.Data.Detection;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Data.Detection;

/// <summary>
/// The same data set in the three layouts gives the same ground truth; and the shipped sample
/// (samples/data/detection-sample) loads in both of its layouts. Both were written by make_detection_sample.py.
/// </summary>
[TestClass]
public sealed class DetectionLayoutsTests
{
    private static readonly string Layouts = Path.Combine(AppContext.BaseDirectory, "Vision", "Data", "Detection", "Layouts");

    [TestMethod]
    public void CocoYoloAndVocGiveTheSameLabelsAndBoxes()
    {
        foreach (var split in new[] { "train", "test" })
        {
            var coco = DetectionDataset.ReadCoco(Path.Combine(Layouts, "coco-yolo", "annotations", $"instances_{split}.json"));
            var yolo = DetectionDataset.ReadYolo(Path.Combine(Layouts, "coco-yolo", "data.yaml"), split);
            var voc = DetectionDataset.ReadVoc(Path.Combine(Layouts, "voc"), split, FashionMnist.ClassNames);

            CollectionAssert.AreEqual(FashionMnist.ClassNames.ToArray(), coco.ClassNames.ToArray());
            CollectionAssert.AreEqual(FashionMnist.ClassNames.ToArray(), yolo.ClassNames.ToArray());
            Assert.AreEqual(split == "train" ? 4 : 3, coco.Images.Count);
            Assert.AreEqual(coco.Images.Count, yolo.Images.Count);
            Assert.AreEqual(coco.Images.Count, voc.Images.Count);
            for (int i = 0; i < coco.Images.Count; i++)
            {
                Assert.AreEqual(coco.Images[i].Path, yolo.Images[i].Path, "COCO and YOLO share the images");
                Assert.AreEqual($"{split}_{Path.GetFileName(coco.Images[i].Path)}", Path.GetFileName(voc.Images[i].Path));
                var expected = coco.Images[i].Objects;
                Assert.IsTrue(expected.Count > 0);
                foreach (var other in new[] { yolo.Images[i].Objects, voc.Images[i].Objects })
                {
                    Assert.AreEqual(expected.Count, other.Count);
                    for (int k = 0; k < expected.Count; k++)
                    {
                        Assert.AreEqual(expected[k].ClassIndex, other[k].ClassIndex);
                        // COCO and VOC store integer pixels; YOLO stores polygon points normalized with 5 decimals.
                        Assert.AreEqual(expected[k].X0, other[k].X0, 0.002);
                        Assert.AreEqual(expected[k].Y0, other[k].Y0, 0.002);
                        Assert.AreEqual(expected[k].X1, other[k].X1, 0.002);
                        Assert.AreEqual(expected[k].Y1, other[k].Y1, 0.002);
                    }
                }
                // COCO's polygons (one per part) and YOLO's bridged segment line draw the same mask.
                for (int k = 0; k < expected.Count; k++)
                {
                    var a = expected[k].Segmentation!.ToMask(160, 160).Pixels.ToArray();
                    var b = yolo.Images[i].Objects[k].Segmentation!.ToMask(160, 160).Pixels.ToArray();
                    CollectionAssert.AreEqual(a, b, $"{split} image {i} object {k}");
                }
            }
            var vocView = new MLContext().Data.LoadVocDetection(Path.Combine(Layouts, "voc"), split, FashionMnist.ClassNames);
            var cocoView = new MLContext().Data.LoadDetectionData(Path.Combine(Layouts, "coco-yolo", "annotations", $"instances_{split}.json"));
            var yoloView = new MLContext().Data.LoadDetectionData(Path.Combine(Layouts, "coco-yolo"), split);
            var labels = Column<uint>(cocoView, "Label");
            CollectionAssert.AreEqual(labels, Column<uint>(yoloView, "Label"));
            CollectionAssert.AreEqual(labels, Column<uint>(vocView, "Label"));
            CollectionAssert.AreEqual(Column<float>(cocoView, "Box"), Column<float>(vocView, "Box"), "integer boxes are exact in both");
        }
    }

    [TestMethod]
    public void VocClassNamesComeFromAllAnnotationsSorted()
    {
        var all = DetectionDataset.ReadVoc(Path.Combine(Layouts, "voc"));
        var test = DetectionDataset.ReadVoc(Path.Combine(Layouts, "voc"), "test");

        Assert.AreEqual(7, all.Images.Count, "without a split, every annotation");
        CollectionAssert.AreEqual(all.ClassNames.ToArray(), test.ClassNames.ToArray(), "every split gets the same classes");
        CollectionAssert.AreEqual(all.ClassNames.Order(StringComparer.Ordinal).ToArray(), all.ClassNames.ToArray());
        var coco = DetectionDataset.ReadCoco(Path.Combine(Layouts, "coco-yolo", "annotations", "instances_test.json"));
        var names = test.Images.SelectMany(i => i.Objects.Select(o => test.ClassNames[o.ClassIndex])).ToArray();
        CollectionAssert.AreEqual(coco.Images.SelectMany(i => i.Objects.Select(o => coco.ClassNames[o.ClassIndex])).ToArray(), names);
    }

    [TestMethod]
    public void ShippedSampleLoadsInBothLayoutsWithMasksInsideTheirBoxes()
    {
        var folder = CliRunner.Sample("detection-sample");
        foreach (var (split, images, objects) in new[] { ("train", 600, 1527), ("test", 150, 384) })
        {
            var coco = DetectionDataset.Read(Path.Combine(folder, "annotations", $"instances_{split}.json"));
            var yolo = DetectionDataset.Read(Path.Combine(folder, "data.yaml"), split);
            foreach (var data in new[] { coco, yolo })
            {
                CollectionAssert.AreEqual(FashionMnist.ClassNames.ToArray(), data.ClassNames.ToArray());
                Assert.AreEqual(images, data.Images.Count);
                Assert.AreEqual(objects, data.ObjectCount);
                Assert.IsTrue(data.Images.All(i => i.Width == 160 && i.Height == 160 && i.Objects.Count is >= 1 and <= 4));
                Assert.AreEqual(10, data.Images.SelectMany(i => i.Objects).Select(o => o.ClassIndex).Distinct().Count());
            }
            var areas = Microsoft.ML.DeepExtensions.Vision.Evaluation.CocoJson.ReadGroundTruth(Path.Combine(folder, "annotations", $"instances_{split}.json"))
                .Annotations.Select(a => a.Area).ToArray();
            int n = 0;
            foreach (var image in coco.Images)
            {
                foreach (var o in image.Objects)
                {
                    var mask = o.Segmentation!.ToMask(image.Width, image.Height);
                    // The generator's mask (its pixel count is COCO's area) comes back from the polygons, tight in its box.
                    Assert.AreEqual(areas[n++], mask.Area(), $"{image.Path}: {o}");
                    int minX = int.MaxValue, minY = int.MaxValue, maxX = -1, maxY = -1;
                    var pixels = mask.Pixels.Span;
                    for (int p = 0; p < pixels.Length; p++)
                    {
                        if (pixels[p] == 0)
                            continue;
                        int x = p % image.Width, y = p / image.Width;
                        (minX, minY, maxX, maxY) = (Math.Min(minX, x), Math.Min(minY, y), Math.Max(maxX, x), Math.Max(maxY, y));
                    }
                    Assert.AreEqual((o.X0, o.Y0, o.X1, o.Y1), (minX, minY, maxX + 1f, maxY + 1f), $"{image.Path}: the mask's tight box is the object's box");
                }
            }
        }
    }

    private static List<T> Column<T>(IDataView data, string name)
    {
        var values = new List<T>();
        using var cursor = data.GetRowCursor(new[] { data.Schema[name] });
        var get = cursor.GetGetter<VBuffer<T>>(data.Schema[name]);
        VBuffer<T> buffer = default;
        while (cursor.MoveNext())
        {
            get(ref buffer);
            values.AddRange(buffer.DenseValues());
        }
        return values;
    }
}
