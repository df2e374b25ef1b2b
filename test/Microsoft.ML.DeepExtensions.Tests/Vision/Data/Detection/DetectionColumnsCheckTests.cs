using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Data.Detection;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Data.Detection;

[TestClass]
public sealed class DetectionColumnsCheckTests
{
    private sealed class Row
    {
        public string[] Names { get; set; } = Array.Empty<string>();

        public float[] Box { get; set; } = Array.Empty<float>();

        public bool[] Crowd { get; set; } = Array.Empty<bool>();
    }

    [TestMethod]
    public void SchemaGivesTheClassNamesOfTheKeys()
    {
        var ml = new MLContext();
        var rows = ml.Data.LoadFromEnumerable(new[] { new Row { Names = new[] { "dog", "cat" }, Box = new float[8], Crowd = new bool[2] } });
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label", "Names").Fit(rows).Transform(rows);

        CollectionAssert.AreEqual(new[] { "dog", "cat" }, DetectionColumnsCheck.CheckSchema(keyed.Schema, "Label", "Box", "Crowd").ToArray());

        var text = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => DetectionColumnsCheck.CheckSchema(keyed.Schema, "Names"));
        StringAssert.Contains(text.Message, "Schema mismatch for column 'Names': expected a vector of UInt32 keys (map class names to keys with MapValueToKey), got Vector<String>.");
        var crowd = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => DetectionColumnsCheck.CheckSchema(keyed.Schema, "Label", "Box", "Box"));
        StringAssert.Contains(crowd.Message, "Schema mismatch for column 'Box': expected a vector of Boolean (one per object), got Vector<Single>.");
        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => DetectionColumnsCheck.CheckSchema(keyed.Schema, "Label", "Boxes"));
        StringAssert.Contains(missing.Message, "Bounding box column 'Boxes' not found in the data. Available columns: Names, Box, Crowd, Label.");
    }

    [TestMethod]
    public void RowsAreCheckedAndClipped()
    {
        var objects = DetectionColumnsCheck.CheckRow(3, new uint[] { 2, 1 }, new[] { 1f, 2f, 10f, 12f, -0.5f, 0f, 20.5f, 10f }, new[] { false, true }, 2, 20, 15);

        Assert.AreEqual("class 1 (1, 2, 10, 12);class 0 (0, 0, 20, 10) crowd", string.Join(";", objects.Select(o => o.ToString())));
        Assert.AreEqual(0, DetectionColumnsCheck.CheckRow(0, ReadOnlySpan<uint>.Empty, ReadOnlySpan<float>.Empty, ReadOnlySpan<bool>.Empty, 2, 20, 15).Length, "background");

        var cases = new (uint[] Labels, float[] Boxes, bool[] Crowd, string Message)[]
        {
            (new uint[] { 1, 2 }, new float[] { 0, 0, 5, 5 }, Array.Empty<bool>(), "Row 7: column 'Box' holds 4 values for 2 labels in 'Label'; it needs 4 (x0, y0, x1, y1) per label."),
            (new uint[] { 1 }, new float[] { 0, 0, 5, 5 }, new bool[2], "Row 7: the crowd column holds 2 flags for 1 labels in 'Label'; it needs one per label."),
            (new uint[] { 0 }, new float[] { 0, 0, 5, 5 }, Array.Empty<bool>(), "Row 7: label 0 of column 'Label' is key 0, outside 1..2 (0 is a missing value"),
            (new uint[] { 3 }, new float[] { 0, 0, 5, 5 }, Array.Empty<bool>(), "Row 7: label 0 of column 'Label' is key 3, outside 1..2."),
            (new uint[] { 1 }, new float[] { 5, 0, 5, 5 }, Array.Empty<bool>(), "Row 7: box 0 of column 'Box': box (5, 0, 5, 5) has a non-positive size 0x5"),
            (new uint[] { 1 }, new float[] { 0, 0, 5, 17 }, Array.Empty<bool>(), "Row 7: box 0 of column 'Box': box (0, 0, 5, 17) lies outside the 20x15 image by more than 1 pixel"),
            (new uint[] { 1 }, new float[] { 0, float.NaN, 5, 5 }, Array.Empty<bool>(), "Row 7: box 0 of column 'Box': box (0, NaN, 5, 5) holds a value that is not a finite number."),
        };
        foreach (var (labels, boxes, crowd, message) in cases)
        {
            var error = Assert.ThrowsExactly<InvalidDataException>(() => DetectionColumnsCheck.CheckRow(7, labels, boxes, crowd, 2, 20, 15), message);
            StringAssert.Contains(error.Message, message);
        }
    }
}
