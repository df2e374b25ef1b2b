using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Scoring;
using Microsoft.ML.DeepExtensions.Vision.Imaging;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// Selective search (<see cref="SelectiveSearch"/>) as an ML.NET transformer: reads an <see cref="MLImage"/> column and
/// adds a variable-length Single vector of proposal boxes, x0 y0 x1 y1 per proposal in the image's pixels, best ranked
/// first. <c>Transform</c> is lazy and reads <see cref="BatchSize"/> images ahead; <c>PredictionEngine</c> works row by
/// row. An image that cannot be read gets no proposals and a warning in the MLContext's log. The settings are saved in
/// model.zip (<c>ml.Model.Load</c> after <c>RegisterDeepExtensions()</c>).
/// </summary>
public sealed partial class SelectiveSearchTransformer : ITransformer, ICanSaveModel
{
    internal const string LoaderSignature = "DeepExtSelectiveSearch";
    private const string ModelSignature = "DXSELSRC";
    private const uint FormatVersion = 1;

    private readonly SelectiveSearch _search;

    static SelectiveSearchTransformer() =>
        DeepExtensionsRegistration.AddLoader(LoaderSignature, typeof(SelectiveSearchTransformer), Load);

    internal SelectiveSearchTransformer(IHostEnvironment env, Options options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        options.ValidateColumns();
        _search = new SelectiveSearch(options);
        Host = env.Register(nameof(SelectiveSearchTransformer));
        ImageColumnName = options.ImageColumnName;
        OutputColumnName = options.OutputColumnName;
        BatchSize = options.BatchSize;
        DeepExtensionsRegistration.Register(env);
    }

    /// <summary>The input image column.</summary>
    public string ImageColumnName { get; }

    /// <summary>The output column of proposal boxes.</summary>
    public string OutputColumnName { get; }

    /// <summary>Images read ahead per batch in <c>Transform</c>.</summary>
    public int BatchSize { get; }

    /// <summary>The search settings (a copy).</summary>
    public SelectiveSearchOptions SearchOptions => _search.Options;

    internal IHost Host { get; }

    bool ITransformer.IsRowToRowMapper => true;

    /// <summary>The proposals of one image as x0 y0 x1 y1 per box, best ranked first.</summary>
    public float[] Propose(MLImage image) => ToCorners(_search.Propose(image));

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        CheckImageColumn(inputSchema);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        builder.AddColumn(OutputColumnName, new VectorDataViewType(NumberDataViewType.Single));
        return builder.ToSchema();
    }

    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new BatchedDataView(input, GetOutputSchema(input.Schema), new[] { ImageColumnName }, CreateBatch, BatchSize);
    }

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        new BatchedRowMapper(inputSchema, GetOutputSchema(inputSchema), new[] { ImageColumnName }, CreateBatch);

    private ProposalRowBatch CreateBatch(DataViewRow row, int capacity) => new(this, row, capacity);

    /// <summary>Throws ML.NET's schema errors unless <paramref name="schema"/> has the image column as an image.</summary>
    internal void CheckImageColumn(DataViewSchema schema) => ImageColumns.Check(schema, ImageColumnName);

    /// <summary>x, y, width, height boxes as x0 y0 x1 y1 floats.</summary>
    internal static float[] ToCorners(System.Drawing.Rectangle[] boxes)
    {
        var corners = new float[4 * boxes.Length];
        for (int i = 0; i < boxes.Length; i++)
        {
            corners[4 * i] = boxes[i].X;
            corners[4 * i + 1] = boxes[i].Y;
            corners[4 * i + 2] = boxes[i].Right;
            corners[4 * i + 3] = boxes[i].Bottom;
        }
        return corners;
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) =>
        ModelPersistence.Save(ctx, LoaderSignature, ModelSignature, FormatVersion, writer =>
        {
            var o = _search.Options;
            writer.Write(ImageColumnName);
            writer.Write(OutputColumnName);
            writer.Write(BatchSize);
            writer.Write((int)o.Mode);
            writer.Write(o.BaseK ?? 0);
            writer.Write(o.IncrementK);
            writer.Write(o.Sigma);
            writer.Write(o.MaxProposals);
            writer.Write(o.Seed);
            writer.Write(o.MaxDegreeOfParallelism);
        });

    private static SelectiveSearchTransformer Load(IHostEnvironment env, BinaryReader reader)
    {
        var options = new Options
        {
            ImageColumnName = reader.ReadString(),
            OutputColumnName = reader.ReadString(),
            BatchSize = reader.ReadInt32(),
            Mode = (SelectiveSearchMode)reader.ReadInt32(),
        };
        int baseK = reader.ReadInt32();
        options.BaseK = baseK == 0 ? null : baseK;
        options.IncrementK = reader.ReadInt32();
        options.Sigma = reader.ReadSingle();
        options.MaxProposals = reader.ReadInt32();
        options.Seed = reader.ReadUInt32();
        options.MaxDegreeOfParallelism = reader.ReadInt32();
        try
        {
            return new SelectiveSearchTransformer(env, options);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"Corrupt selective search model: {ex.Message}", ex);
        }
    }
}
