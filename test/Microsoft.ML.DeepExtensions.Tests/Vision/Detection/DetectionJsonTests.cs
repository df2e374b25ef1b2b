using Microsoft.ML.DeepExtensions.Vision.Detection;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection;

[TestClass]
public sealed class DetectionJsonTests
{
    [TestMethod]
    public void SerializeThenDeserialize_KeepsBoxesClassesScoresAndMasks()
    {
        var mask0 = new InstanceMask(3, 4, 3, 2, new byte[] { 1, 1, 0, 0, 1, 1 });
        var mask1 = new InstanceMask(-1, 0, 2, 2, new byte[] { 0, 0, 0, 0 });
        var detections = new ObjectDetections(new float[] { 1.5f, 2, 30.25f, 40, 5, 6, 7, 8 }, new[] { 1, 0 }, new[] { 0.875f, 0.125f }, new[] { mask0, mask1 });
        var result = new ImageDetectionResult("street.jpg", 64, 48, new[] { "person", "car" }, detections);

        string json = DetectionJson.Serialize(result);
        var back = DetectionJson.Deserialize(json);

        StringAssert.Contains(json, "\"label\": \"car\"");
        StringAssert.Contains(json, "\"runs\": [\n");
        Assert.AreEqual("street.jpg", back.Image);
        Assert.AreEqual((64, 48), (back.Width, back.Height));
        CollectionAssert.AreEqual(new[] { "person", "car" }, back.ClassNames.ToArray());
        CollectionAssert.AreEqual(detections.Boxes.ToArray(), back.Detections.Boxes.ToArray());
        CollectionAssert.AreEqual(detections.ClassIndices.ToArray(), back.Detections.ClassIndices.ToArray());
        CollectionAssert.AreEqual(detections.Scores.ToArray(), back.Detections.Scores.ToArray());
        var masks = back.Detections.Masks!;
        CollectionAssert.AreEqual(mask0.Pixels.ToArray(), masks[0].Pixels.ToArray());
        Assert.AreEqual((3, 4, 3, 2), (masks[0].Left, masks[0].Top, masks[0].Width, masks[0].Height));
        CollectionAssert.AreEqual(mask1.Pixels.ToArray(), masks[1].Pixels.ToArray());
        Assert.IsTrue(masks[0].Contains(3, 4) && !masks[0].Contains(5, 4) && !masks[0].Contains(0, 0));
    }

    [TestMethod]
    public void MaskRuns_StartWithBackground()
    {
        var mask = new InstanceMask(0, 0, 4, 1, new byte[] { 1, 1, 0, 1 });
        var json = DetectionJson.Serialize(new ImageDetectionResult(null, 4, 1, new[] { "a" },
            new ObjectDetections(new float[] { 0, 0, 4, 1 }, new[] { 0 }, new[] { 1f }, new[] { mask })), indented: false);

        StringAssert.Contains(json, "\"runs\":[0,2,1,1]");
    }

    [TestMethod]
    public void Deserialize_NamesTheBadField()
    {
        var box = Assert.ThrowsExactly<InvalidDataException>(() => DetectionJson.Deserialize(
            """{"width":4,"height":4,"classes":["a"],"detections":[{"classIndex":0,"score":1,"box":[1,2,3]}]}"""));
        StringAssert.Contains(box.Message, "detections[0].box must hold 4 numbers (x0, y0, x1, y1), got 3.");
        var missing = Assert.ThrowsExactly<InvalidDataException>(() => DetectionJson.Deserialize("""{"height":4,"classes":[],"detections":[]}"""));
        StringAssert.Contains(missing.Message, "'width' is missing.");
        var index = Assert.ThrowsExactly<InvalidDataException>(() => DetectionJson.Deserialize(
            """{"width":4,"height":4,"classes":["a"],"detections":[{"classIndex":2,"score":1,"box":[1,2,3,4]}]}"""));
        StringAssert.Contains(index.Message, "detections[0].classIndex must be in [0, 1), got 2.");
        Assert.ThrowsExactly<InvalidDataException>(() => DetectionJson.Deserialize("{not json"));
    }

    [TestMethod]
    public void WriteFile_RefusesToOverwriteWithoutBeingAsked()
    {
        string path = Path.Combine(Path.GetTempPath(), "dx-json-" + Guid.NewGuid().ToString("N") + ".json");
        var result = new ImageDetectionResult("x.png", 2, 2, new[] { "a" }, ObjectDetections.Empty);
        try
        {
            DetectionJson.WriteFile(path, result);
            Assert.ThrowsExactly<IOException>(() => DetectionJson.WriteFile(path, result));
            DetectionJson.WriteFile(path, result, overwrite: true);
            Assert.AreEqual(0, DetectionJson.ReadFile(path).Detections.Count);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
