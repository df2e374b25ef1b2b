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
        new Cursor(this, columnsNeeded, rand is null ? null : Permutation(_labels.Length, rand));

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

    private static int[] Permutation(int count, Random random)
    {
        var order = new int[count];
        for (int i = 0; i < count; i++)
            order[i] = i;
        random.Shuffle(order);
        return order;
    }

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly IdxDataView _view;
        private readonly bool[] _active;
        private readonly int[]? _order;
        private long _position = -1;
        private int _row = -1;

        public Cursor(IdxDataView view, IEnumerable<DataViewSchema.Column> columnsNeeded, int[]? order)
        {
            _view = view;
            _order = order;
            _active = new bool[view.Schema.Count];
            foreach (var column in columnsNeeded)
                _active[column.Index] = true;
        }

        public override DataViewSchema Schema => _view.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        public override bool MoveNext()
        {
            if (_position + 1 >= _view._labels.Length)
            {
                _position = _view._labels.Length;
                _row = -1;
                return false;
            }
            _position++;
            _row = _order is null ? (int)_position : _order[_position];
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId value) =>
        {
            CheckRow();
            value = new DataViewRowId((ulong)_row, 0);
        };

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < 0 || column.Index >= _active.Length || Schema[column.Index].Name != column.Name)
                throw new ArgumentOutOfRangeException(nameof(column), $"Column '{column.Name}' does not belong to this IDX data view.");
            if (!_active[column.Index])
                throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor; ask for it in columnsNeeded.");

            Delegate getter = column.Name == LabelColumnName
                ? (ValueGetter<ReadOnlyMemory<char>>)GetLabel
                : (ValueGetter<VBuffer<float>>)GetFeatures;
            return getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Invalid TValue in GetGetter: '{typeof(TValue)}', expected type: '{column.Type.RawType}'.");
        }

        private void GetLabel(ref ReadOnlyMemory<char> value)
        {
            CheckRow();
            value = _view._labelTexts[_view._labels[_row]];
        }

        private void GetFeatures(ref VBuffer<float> value)
        {
            CheckRow();
            int size = _view._pixelsPerImage;
            var editor = VBufferEditor.Create(ref value, size);
            var pixels = _view._pixels.AsSpan(_row * size, size);
            var values = editor.Values;
            for (int i = 0; i < size; i++)
                values[i] = pixels[i] / 255f;
            value = editor.Commit();
        }

        private void CheckRow()
        {
            if (_row < 0)
                throw new InvalidOperationException("The cursor is not on a row: call MoveNext first and read only while it returns true.");
        }
    }
}
