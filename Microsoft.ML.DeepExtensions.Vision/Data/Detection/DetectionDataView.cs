using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Scoring;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.DeepExtensions.Vision.Data.Detection;

/// <summary>
/// A <see cref="DetectionDataset"/> as an ML.NET <see cref="IDataView"/>, one row per image, in the columns of
/// ML.NET's object-detection convention (those Microsoft.ML.TorchSharp's trainer and
/// <c>mlContext.ObjectDetection().Evaluate</c> read):
/// <list type="table">
/// <item><term><c>ImagePath</c></term><description>Text: the image file, absolute.</description></item>
/// <item><term><c>Image</c></term><description><see cref="MLImage"/>, decoded from the file each time a cursor
/// reads it (as ML.NET's <c>LoadImages</c> does); every read returns a new image, which the reader owns and may
/// dispose.</description></item>
/// <item><term><c>ImageWidth</c>, <c>ImageHeight</c></term><description>Int32: the image's size in pixels, read
/// from its header when the data set was loaded.</description></item>
/// <item><term><c>Label</c></term><description>Variable-length vector of <c>UInt32</c> keys over the classes (key
/// <c>k</c> is class index <c>k - 1</c>), with the class names as <c>KeyValues</c>.</description></item>
/// <item><term><c>Box</c></term><description>Variable-length vector of Single: x0 y0 x1 y1 per object, in the
/// image's pixels, in the order of <c>Label</c>.</description></item>
/// <item><term><c>IsCrowd</c></term><description>Variable-length vector of Boolean, one per object: crowd (COCO) or
/// difficult (VOC) regions, for <c>Evaluate</c>'s crowd column.</description></item>
/// <item><term><c>Segmentation</c></term><description>Variable-length vector of Single: every object's polygons or
/// run lengths, in the encoding of <see cref="SegmentationColumn"/>, which also turns a row's value into one
/// mask per object.</description></item>
/// </list>
/// A background image has empty vectors. Rows come in the data set's order; the view can be shuffled.
/// </summary>
public sealed class DetectionDataView : IDataView
{
    public const string ImagePathColumnName = "ImagePath";
    public const string ImageColumnName = "Image";
    public const string ImageWidthColumnName = "ImageWidth";
    public const string ImageHeightColumnName = "ImageHeight";
    public const string LabelColumnName = "Label";
    public const string BoxColumnName = "Box";
    public const string IsCrowdColumnName = "IsCrowd";
    public const string SegmentationColumnName = "Segmentation";

    private readonly Row[] _rows;

    /// <summary>A view of <paramref name="dataset"/> (its objects are encoded once, here).</summary>
    public DetectionDataView(DetectionDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        Dataset = dataset;
        _rows = dataset.Images.Select(image => new Row(
            image.Path.AsMemory(),
            image.Objects.Select(o => (uint)o.ClassIndex + 1).ToArray(),
            image.Objects.SelectMany(o => new[] { o.X0, o.Y0, o.X1, o.Y1 }).ToArray(),
            image.Objects.Select(o => o.IsCrowd).ToArray(),
            SegmentationColumn.Encode(image.Objects.Select(o => o.Segmentation).ToArray()),
            image.Width, image.Height)).ToArray();

        var keyValues = new DataViewSchema.Annotations.Builder();
        KeyValues.Text(dataset.ClassNames.ToArray()).AddTo(keyValues, AnnotationNames.KeyValues);
        var schema = new DataViewSchema.Builder();
        schema.AddColumn(ImagePathColumnName, TextDataViewType.Instance);
        schema.AddColumn(ImageColumnName, new ImageDataViewType());
        schema.AddColumn(ImageWidthColumnName, NumberDataViewType.Int32);
        schema.AddColumn(ImageHeightColumnName, NumberDataViewType.Int32);
        schema.AddColumn(LabelColumnName, new VectorDataViewType(new KeyDataViewType(typeof(uint), dataset.ClassNames.Count)), keyValues.ToAnnotations());
        schema.AddColumn(BoxColumnName, new VectorDataViewType(NumberDataViewType.Single));
        schema.AddColumn(IsCrowdColumnName, new VectorDataViewType(BooleanDataViewType.Instance));
        schema.AddColumn(SegmentationColumnName, new VectorDataViewType(NumberDataViewType.Single));
        Schema = schema.ToSchema();
    }

    /// <summary>The data set this view shows (for trainers that read ground truth without a cursor).</summary>
    public DetectionDataset Dataset { get; }

    public DataViewSchema Schema { get; }

    public bool CanShuffle => true;

    public long? GetRowCount() => _rows.Length;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded, rand);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    private sealed record Row(ReadOnlyMemory<char> Path, uint[] Labels, float[] Boxes, bool[] Crowd, float[] Segmentation, int Width, int Height);

    private sealed class Cursor : InMemoryRowCursor
    {
        private readonly DetectionDataView _view;

        public Cursor(DetectionDataView view, IEnumerable<DataViewSchema.Column> columnsNeeded, Random? random)
            : base(view.Schema, view._rows.Length, columnsNeeded, random, "detection data view") => _view = view;

        private Row Current => _view._rows[Row];

        protected override Delegate MakeGetter(DataViewSchema.Column column) => column.Name switch
        {
            ImagePathColumnName => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> value) => value = Current.Path),
            ImageColumnName => (ValueGetter<MLImage>)((ref MLImage value) => value = MLImage.CreateFromFile(Current.Path.ToString())),
            ImageWidthColumnName => (ValueGetter<int>)((ref int value) => value = Current.Width),
            ImageHeightColumnName => (ValueGetter<int>)((ref int value) => value = Current.Height),
            LabelColumnName => (ValueGetter<VBuffer<uint>>)((ref VBuffer<uint> value) => Copy(Current.Labels, ref value)),
            BoxColumnName => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) => Copy(Current.Boxes, ref value)),
            IsCrowdColumnName => (ValueGetter<VBuffer<bool>>)((ref VBuffer<bool> value) => Copy(Current.Crowd, ref value)),
            _ => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) => Copy(Current.Segmentation, ref value)),
        };

        private static void Copy<T>(T[] values, ref VBuffer<T> destination)
        {
            var editor = VBufferEditor.Create(ref destination, values.Length);
            values.AsSpan().CopyTo(editor.Values);
            destination = editor.Commit();
        }
    }
}
