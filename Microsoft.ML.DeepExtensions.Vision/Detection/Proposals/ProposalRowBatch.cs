using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Imaging;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>Selective search over a batch of rows: images in, proposal boxes out; an unreadable image gets none and a warning.</summary>
internal sealed class ProposalRowBatch : ImageRowBatch
{
    private readonly SelectiveSearchTransformer _transformer;
    private readonly float[][] _results;

    public ProposalRowBatch(SelectiveSearchTransformer transformer, DataViewRow row, int capacity)
        : base(row, transformer.ImageColumnName, capacity)
    {
        _transformer = transformer;
        _results = new float[capacity][];
    }

    public override void Compute(int rows)
    {
        CollectValid(rows);
        Array.Fill(_results, Array.Empty<float>(), 0, rows);
        for (int i = 0; i < ValidSlots.Count; i++)
            _results[ValidSlots[i]] = _transformer.Propose(Valid[i]);
        WarnAboutUnreadableImages(rows, _transformer.Host, "ProposeRegions", "the row gets no proposals");
    }

    public override Delegate CreateGetter(DataViewSchema.Column column)
    {
        if (column.Name != _transformer.OutputColumnName)
            throw new ArgumentOutOfRangeException(nameof(column), $"'{column.Name}' is not a column of the selective search transformer.");
        return (ValueGetter<VBuffer<float>>)((ref VBuffer<float> dst) =>
        {
            var boxes = _results[Current];
            var editor = VBufferEditor.Create(ref dst, boxes.Length);
            boxes.CopyTo(editor.Values);
            dst = editor.Commit();
        });
    }
}
