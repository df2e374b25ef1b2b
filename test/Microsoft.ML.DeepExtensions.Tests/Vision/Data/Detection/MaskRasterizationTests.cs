using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Data.Detection;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Data.Detection;

/// <summary>
/// Masks from polygons against scikit-image's point-in-polygon test, and from COCO's compressed run lengths against pycocotools
/// (golden values in masks_golden.json, written by generate_masks_golden.py); the Segmentation column's encoding.
/// </summary>
[TestClass]
public sealed class MaskRasterizationTests
{
    private static readonly JsonElement Golden = JsonDocument.Parse(File.ReadAllText(
        Path.Combine(AppContext.BaseDirectory, "Vision", "Data", "Detection", "masks_golden.json"))).RootElement;

    private static int Width => Golden.GetProperty("width").GetInt32();

    private static int Height => Golden.GetProperty("height").GetInt32();

    [TestMethod]
    public void PolygonsFillThePixelsWhoseCentresTheyContain()
    {
        int pixels = 0, onEdges = 0;
        foreach (var item in Golden.GetProperty("polygons").EnumerateArray())
        {
            var xy = item.GetProperty("polygon").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            var expected = Rows(item.GetProperty("mask"));
            var mask = ObjectSegmentation.FromPolygons(new[] { xy }).ToMask(Width, Height);
            for (int y = 0; y < Height; y++)
            {
                for (int x = 0; x < Width; x++)
                {
                    pixels += expected[y][x] == '1' ? 1 : 0;
                    if (mask.Contains(x, y) == (expected[y][x] == '1'))
                        continue;
                    // A centre on an edge may count as inside or not, by each implementation's rule for boundary points.
                    double distance = DistanceToEdges(xy, x + 0.5, y + 0.5);
                    Assert.IsTrue(distance < 0.01, $"polygon {string.Join(" ", xy)}: pixel ({x}, {y}) differs from scikit-image and its centre is {distance} from the edges");
                    onEdges++;
                }
            }
        }
        Assert.IsTrue(pixels > 5000, $"{pixels} object pixels");
        Assert.IsTrue(onEdges < pixels / 50, $"{onEdges} of {pixels} pixels differ (all on edges)");
    }

    [TestMethod]
    public void CompressedRunLengthsDecodeAsPycocotools()
    {
        int objectPixels = 0;
        foreach (var item in Golden.GetProperty("run_lengths").EnumerateArray())
        {
            var expected = Rows(item.GetProperty("mask"));
            var json = $$"""{"images": [{"id": 1, "file_name": "a.png"}], "categories": [{"id": 1, "name": "x"}], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "segmentation": {{item.GetRawText()}}}]}""";
            using var folder = new DetectionTestFolder();
            folder.Image("a.png", Width, Height);
            var mask = DetectionDataset.ReadCoco(folder.Text("i.json", json)).Images[0].Objects[0].Segmentation!.ToMask(Width, Height);
            for (int y = 0; y < Height; y++)
            {
                for (int x = 0; x < Width; x++)
                    Assert.AreEqual(expected[y][x] == '1', mask.Contains(x, y), $"{item.GetProperty("counts")}: pixel ({x}, {y})");
            }
            objectPixels += mask.Area();
        }
        Assert.IsTrue(objectPixels > 1000, $"{objectPixels} object pixels");
    }

    [TestMethod]
    public void BridgedPartsDrawTheUnionOfTheParts()
    {
        float[] a = { 1, 1, 5, 1, 5, 4, 1, 4 }, b = { 10, 2, 14, 2, 14, 6, 10, 6 };
        // a, back to a's first point, b, back to b's first point, back to a's first point (closing edge).
        float[] bridged = { 1, 1, 5, 1, 5, 4, 1, 4, 1, 1, 10, 2, 14, 2, 14, 6, 10, 6, 10, 2 };

        var parts = ObjectSegmentation.FromPolygons(new[] { a, b }).ToMask(20, 10);
        var single = ObjectSegmentation.FromPolygons(new[] { bridged }).ToMask(20, 10);

        Assert.AreEqual(4 * 3 + 4 * 4, parts.Area());
        CollectionAssert.AreEqual(parts.Pixels.ToArray(), single.Pixels.ToArray());
    }

    [TestMethod]
    public void SegmentationColumnRoundTrips()
    {
        var polygon = ObjectSegmentation.FromPolygons(new[] { new float[] { 0, 0, 4, 0, 4, 2 }, new float[] { 5, 5, 6, 5, 6, 6, 5, 6 } });
        var runs = ObjectSegmentation.FromRunLengths(3, 2, new long[] { 1, 2, 3 });

        var values = SegmentationColumn.Encode(new[] { polygon, null, runs });

        CollectionAssert.AreEqual(new float[] { 2, 3, 0, 0, 4, 0, 4, 2, 4, 5, 5, 6, 5, 6, 6, 5, 6, 0, 1, -3, 1, 2, 3 }, values);
        var back = SegmentationColumn.Decode(values, 3, 3, 2);
        CollectionAssert.AreEqual(polygon.Polygons[1], back[0]!.Polygons[1]);
        Assert.IsNull(back[1]);
        CollectionAssert.AreEqual(new long[] { 1, 2, 3 }, back[2]!.RunLengths!.ToArray());
        var masks = SegmentationColumn.ToMasks(new VBuffer<float>(values.Length, values), 3, 3, 2);
        // Column-major runs: 1 background pixel (0, 0), then (0, 1) and (1, 0) belong to the object.
        Assert.IsTrue(!masks[2]!.Contains(0, 0) && masks[2]!.Contains(0, 1) && masks[2]!.Contains(1, 0) && !masks[2]!.Contains(1, 1));

        var wrongCount = Assert.ThrowsExactly<InvalidDataException>(() => SegmentationColumn.Decode(values, 2, 3, 2));
        StringAssert.Contains(wrongCount.Message, "holds 5 values after the last of its 2 objects; the row's Label and Segmentation disagree.");
        var truncated = Assert.ThrowsExactly<InvalidDataException>(() => SegmentationColumn.Decode(values.AsSpan(0, 10), 1, 3, 2));
        StringAssert.Contains(truncated.Message, "at object 0: part 1 needs 8 values but only 1 remain.");
    }

    private static string[] Rows(JsonElement mask) => mask.EnumerateArray().Select(r => r.GetString()!).ToArray();

    private static double DistanceToEdges(float[] xy, double px, double py)
    {
        double best = double.MaxValue;
        int n = xy.Length / 2;
        for (int i = 0; i < n; i++)
        {
            int j = (i + 1) % n;
            double ax = xy[2 * i], ay = xy[2 * i + 1], bx = xy[2 * j], by = xy[2 * j + 1];
            double dx = bx - ax, dy = by - ay, length = dx * dx + dy * dy;
            double t = length == 0 ? 0 : Math.Clamp(((px - ax) * dx + (py - ay) * dy) / length, 0, 1);
            best = Math.Min(best, Math.Sqrt(Math.Pow(ax + t * dx - px, 2) + Math.Pow(ay + t * dy - py, 2)));
        }
        return best;
    }
}
