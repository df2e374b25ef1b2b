using Microsoft.ML.Data;

namespace Microsoft.ML.DeepExtensions.Vision.Data;

/// <summary>
/// An IDX images file and its labels file as an <see cref="IDataView"/>: <c>Label</c> (text) and
/// <c>Features</c> (known-size vector of rows×cols floats in [0, 1], annotated with
/// <see cref="ImageShapeAnnotation"/> <c>[1, rows, cols]</c>). It keeps the files' bytes and turns a
/// row into floats only when a cursor's getter asks for it, so the full Fashion-MNIST training set
/// costs 47 MB instead of 188 MB.
/// </summary>
internal sealed class IdxDataView : IDataView
{
    public const string LabelColumnName = "Label";
    public const string FeaturesColumnName = "Features";

    private readonly byte[] _pixels;
    private readonly byte[] _labels;
    private readonly ReadOnlyMemory<char>[] _labelTexts;
    private readonly int _pixelsPerImage;

    public IdxDataView(IdxFile images, IdxFile labels, IReadOnlyList<string>? classNames)
    {
        int count = images.Dimensions[0], rows = images.Dimensions[1], columns = images.Dimensions[2];
        if (labels.Dimensions[0] != count)
            throw new InvalidDataException(
                $"IDX images file '{images.Path}' holds {count:N0} images but labels file '{labels.Path}' holds {labels.Dimensions[0]:N0} labels; they must match one to one.");

        _labelTexts = LabelTexts(classNames);
        for (int i = 0; i < labels.Data.Length; i++)
        {
            if (labels.Data[i] >= _labelTexts.Length)
                throw new InvalidDataException(
                    $"IDX labels file '{labels.Path}' has label {labels.Data[i]} at row {i}, but only {_labelTexts.Length} class names were given ({string.Join(", ", classNames!)}).");
        }

        _pixels = images.Data;
        _labels = labels.Data;
        _pixelsPerImage = rows * columns;

        var shape = new DataViewSchema.Annotations.Builder();
        ImageShapeAnnotation.Add(shape, 1, rows, columns);
        var schema = new DataViewSchema.Builder();
        schema.AddColumn(LabelColumnName, TextDataViewType.Instance);
        schema.AddColumn(FeaturesColumnName, new VectorDataViewType(NumberDataViewType.Single, _pixelsPerImage), shape.ToAnnotations());
        Schema = schema.ToSchema();
    }

    public DataViewSchema Schema { get; }

    public bool CanShuffle => true;

    public long? GetRowCount() => _labels.Length;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded, rand);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    /// <summary>Text of each possible label byte: the class name, or the number itself when no names are given.</summary>
    private static ReadOnlyMemory<char>[] LabelTexts(IReadOnlyList<string>? classNames)
    {
        if (classNames is null)
            return Enumerable.Range(0, 256).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture).AsMemory()).ToArray();
        if (classNames.Count == 0 || classNames.Count > 256)
            throw new ArgumentOutOfRangeException(nameof(classNames), classNames.Count, $"classNames must hold 1 to 256 names (an IDX label is one byte), got {classNames.Count}.");
        for (int i = 0; i < classNames.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(classNames[i]))
                throw new ArgumentException($"classNames[{i}] is empty; every class needs a name.", nameof(classNames));
        }
        var duplicate = classNames.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"classNames holds '{duplicate.Key}' more than once; class names must be distinct.", nameof(classNames));
        return classNames.Select(n => n.AsMemory()).ToArray();
    }

    private sealed class Cursor : InMemoryRowCursor
    {
        private readonly IdxDataView _view;

        public Cursor(IdxDataView view, IEnumerable<DataViewSchema.Column> columnsNeeded, Random? random)
            : base(view.Schema, view._labels.Length, columnsNeeded, random, "IDX data view") => _view = view;

        protected override Delegate MakeGetter(DataViewSchema.Column column) => column.Name == LabelColumnName
            ? (ValueGetter<ReadOnlyMemory<char>>)GetLabel
            : (ValueGetter<VBuffer<float>>)GetFeatures;

        private void GetLabel(ref ReadOnlyMemory<char> value) => value = _view._labelTexts[_view._labels[Row]];

        private void GetFeatures(ref VBuffer<float> value)
        {
            int size = _view._pixelsPerImage;
            var pixels = _view._pixels.AsSpan(Row * size, size);
            var editor = VBufferEditor.Create(ref value, size);
            var values = editor.Values;
            for (int i = 0; i < size; i++)
                values[i] = pixels[i] / 255f;
            value = editor.Commit();
        }
    }
}
