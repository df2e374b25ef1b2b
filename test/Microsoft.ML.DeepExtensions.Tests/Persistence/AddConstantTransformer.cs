using System.Runtime.InteropServices;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Persistence;

namespace Microsoft.ML.DeepExtensions.Tests.Persistence;

/// <summary>
/// Test-only transformer written against the public ML.NET API only: adds a constant float vector to a
/// known-size float vector column, and saves itself (the constant is its "weights") through
/// <see cref="ModelPersistence"/>.
/// </summary>
internal sealed class AddConstantTransformer : ITransformer
{
    internal const string LoaderSignature = "TestAddConstant";
    internal const string ModelSignature = "TSTADDC";
    internal const uint Version = 1;

    // Explicit static constructor: runs before the first instance exists, and is what a fresh process
    // runs (through the type name recorded in the model) to find this loader.
    static AddConstantTransformer()
    {
        StaticConstructorRuns++;
        DeepExtensionsRegistration.AddLoader(LoaderSignature, typeof(AddConstantTransformer), (_, reader) => Read(reader));
    }

    internal static int StaticConstructorRuns;

    internal AddConstantTransformer(string inputColumn, string outputColumn, float[] constant)
    {
        InputColumn = inputColumn;
        OutputColumn = outputColumn;
        Constant = constant;
    }

    internal string InputColumn { get; }
    internal string OutputColumn { get; }
    internal float[] Constant { get; }

    public bool IsRowToRowMapper => false;

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => throw new NotSupportedException();

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        var column = inputSchema.GetColumnOrNull(InputColumn)
            ?? throw new ArgumentException($"Column '{InputColumn}' not found.", nameof(inputSchema));
        if (column.Type is not VectorDataViewType { ItemType: NumberDataViewType, Size: var size } vector
            || vector.ItemType != NumberDataViewType.Single || size != Constant.Length)
        {
            throw new ArgumentException($"Column '{InputColumn}' must be a vector of {Constant.Length} floats, not {column.Type}.", nameof(inputSchema));
        }

        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        builder.AddColumn(OutputColumn, new VectorDataViewType(NumberDataViewType.Single, Constant.Length));
        return builder.ToSchema();
    }

    public IDataView Transform(IDataView input) => new AddConstantDataView(this, input);

    void ICanSaveModel.Save(ModelSaveContext ctx) =>
        ModelPersistence.Save(ctx, LoaderSignature, ModelSignature, Version, writer =>
        {
            writer.Write(InputColumn);
            writer.Write(OutputColumn);
            writer.Write(Constant.Length);
            writer.Write(MemoryMarshal.AsBytes(Constant.AsSpan()));
        });

    private static AddConstantTransformer Read(BinaryReader reader)
    {
        string input = reader.ReadString();
        string output = reader.ReadString();
        int length = reader.ReadInt32();
        if (length < 0 || (long)length * sizeof(float) > reader.BaseStream.Length - reader.BaseStream.Position)
            throw new InvalidDataException($"Bad constant length {length}.");
        var constant = new float[length];
        reader.BaseStream.ReadExactly(MemoryMarshal.AsBytes(constant.AsSpan()));
        return new AddConstantTransformer(input, output, constant);
    }

    private sealed class AddConstantDataView(AddConstantTransformer parent, IDataView input) : IDataView
    {
        public DataViewSchema Schema { get; } = parent.GetOutputSchema(input.Schema);

        internal int OutputIndex => Schema.Count - 1;

        internal AddConstantTransformer Parent => parent;

        public bool CanShuffle => input.CanShuffle;

        public long? GetRowCount() => input.GetRowCount();

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        {
            var needed = columnsNeeded.Select(c => c.Index).ToHashSet();
            bool needOutput = needed.Remove(OutputIndex);
            if (needOutput)
                needed.Add(input.Schema[parent.InputColumn].Index);
            var inner = input.GetRowCursor(needed.Select(i => input.Schema[i]), rand);
            return new Cursor(this, inner, needOutput);
        }

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            [GetRowCursor(columnsNeeded, rand)];

        private sealed class Cursor(AddConstantDataView view, DataViewRowCursor inner, bool outputActive) : DataViewRowCursor
        {
            public override DataViewSchema Schema => view.Schema;
            public override long Position => inner.Position;
            public override long Batch => inner.Batch;
            public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();
            public override bool MoveNext() => inner.MoveNext();

            public override bool IsColumnActive(DataViewSchema.Column column) =>
                column.Index == view.OutputIndex ? outputActive : inner.IsColumnActive(inner.Schema[column.Index]);

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                if (column.Index != view.OutputIndex)
                    return inner.GetGetter<TValue>(inner.Schema[column.Index]);
                if (!outputActive)
                    throw new InvalidOperationException($"Column '{column.Name}' is not active.");

                var constant = view.Parent.Constant;
                var sourceGetter = inner.GetGetter<VBuffer<float>>(inner.Schema[view.Parent.InputColumn]);
                VBuffer<float> source = default;
                ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> destination) =>
                {
                    sourceGetter(ref source);
                    var editor = VBufferEditor.Create(ref destination, constant.Length);
                    int i = 0;
                    foreach (float value in source.DenseValues())
                    {
                        editor.Values[i] = value + constant[i];
                        i++;
                    }
                    destination = editor.Commit();
                };
                return getter as ValueGetter<TValue>
                    ?? throw new InvalidOperationException($"Column '{column.Name}' is VBuffer<float>, not {typeof(TValue).Name}.");
            }

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                    inner.Dispose();
                base.Dispose(disposing);
            }
        }
    }
}
