using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Data;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Data;

[TestClass]
public sealed class ImageShapeAnnotationTests
{
    [TestMethod]
    public void AddedShapeIsReadBack()
    {
        var column = Column(new VectorDataViewType(NumberDataViewType.Single, 3 * 4 * 5), b => ImageShapeAnnotation.Add(b, 3, 4, 5));

        Assert.IsTrue(ImageShapeAnnotation.TryRead(column, out int channels, out int height, out int width));
        Assert.AreEqual((3, 4, 5), (channels, height, width));
        Assert.AreEqual(ImageShapeAnnotation.Type, column.Annotations.Schema[ImageShapeAnnotation.Name].Type);
    }

    [TestMethod]
    public void ColumnWithoutAnnotationReadsFalse()
    {
        var column = Column(new VectorDataViewType(NumberDataViewType.Single, 12), _ => { });

        Assert.IsFalse(ImageShapeAnnotation.TryRead(column, out int channels, out int height, out int width));
        Assert.AreEqual((0, 0, 0), (channels, height, width));
    }

    [TestMethod]
    public void ShapeThatDoesNotFitTheVectorIsRefused()
    {
        var column = Column(new VectorDataViewType(NumberDataViewType.Single, 10), b => ImageShapeAnnotation.Add(b, 1, 3, 3));

        var error = Assert.ThrowsExactly<InvalidOperationException>(() => ImageShapeAnnotation.TryRead(column, out _, out _, out _));
        StringAssert.Contains(error.Message, "[1, 3, 3] (9 values per row)");
        StringAssert.Contains(error.Message, "vector of 10 values");
    }

    [TestMethod]
    public void AnnotationOfAnotherTypeIsRefused()
    {
        var column = Column(new VectorDataViewType(NumberDataViewType.Single, 4), b =>
            b.Add<VBuffer<float>>(ImageShapeAnnotation.Name, new VectorDataViewType(NumberDataViewType.Single, 3),
                (ref VBuffer<float> v) => v = new VBuffer<float>(3, new[] { 1f, 2f, 2f })));

        var error = Assert.ThrowsExactly<InvalidOperationException>(() => ImageShapeAnnotation.TryRead(column, out _, out _, out _));
        StringAssert.Contains(error.Message, "must be a known-size vector of 3 Int32");
    }

    [TestMethod]
    public void NonPositiveDimensionIsRefusedWhenAdded()
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ImageShapeAnnotation.Add(new DataViewSchema.Annotations.Builder(), 1, 0, 28));
        StringAssert.Contains(error.Message, "The image height must be positive, got 0.");
    }

    private static DataViewSchema.Column Column(DataViewType type, Action<DataViewSchema.Annotations.Builder> annotate)
    {
        var annotations = new DataViewSchema.Annotations.Builder();
        annotate(annotations);
        var schema = new DataViewSchema.Builder();
        schema.AddColumn("Features", type, annotations.ToAnnotations());
        return schema.ToSchema()["Features"];
    }
}
