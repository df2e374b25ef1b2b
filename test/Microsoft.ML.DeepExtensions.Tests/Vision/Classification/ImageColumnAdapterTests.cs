using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Data;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Classification;

[TestClass]
public sealed class ImageColumnAdapterTests
{
    private sealed class Row
    {
        [ImageType(1, 2)]
        public MLImage? Image { get; set; }
    }

    /// <summary>Two pixels, BGRA: (B 10, G 20, R 30) and (B 255, G 0, R 128).</summary>
    private static IDataView TwoPixels(MLContext ml) => ml.Data.LoadFromEnumerable(new[]
    {
        new Row { Image = MLImage.CreateFromPixels(2, 1, MLPixelFormat.Bgra32, new byte[] { 10, 20, 30, 255, 255, 0, 128, 255 }) },
    });

    private static float[] Read(IDataView data, long[]? shape)
    {
        global::Microsoft.ML.DeepExtensions.Vision.Classification.ImageShape unused = default; // touching Vision registers the adapter
        _ = unused;
        var column = TensorColumn.Bind(data.Schema, "Image", "Feature", shape);
        using var cursor = data.GetRowCursor(data.Schema);
        var read = column.CreateReader(cursor);
        Assert.IsTrue(cursor.MoveNext());
        var values = new float[column.Size];
        Assert.IsTrue(read(values));
        return values;
    }

    [TestMethod]
    public void ReadsRgbPlanesInZeroToOne()
    {
        var values = Read(TwoPixels(new MLContext()), null);
        var expected = new[] { 30f, 128, 20, 0, 10, 255 }.Select(v => v / 255f).ToArray();
        Assert.AreEqual(expected.Length, values.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], values[i], 1e-6, $"value {i}: {string.Join(", ", values.Select(v => v * 255))}");
    }

    [TestMethod]
    public void ReadsGrayscaleAsBt601Luma()
    {
        var values = Read(TwoPixels(new MLContext()), new long[] { 1, 1, 2 });
        Assert.AreEqual((0.299 * 30 + 0.587 * 20 + 0.114 * 10) / 255, values[0], 1e-6);
        Assert.AreEqual((0.299 * 128 + 0.587 * 0 + 0.114 * 255) / 255, values[1], 1e-6);
    }

    [TestMethod]
    public void AShapeOfAnotherSizeIsASchemaMismatch()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Read(TwoPixels(new MLContext()), new long[] { 3, 4, 4 }));
        StringAssert.Contains(e.Message, "Schema mismatch for feature column 'Image'");
    }
}
