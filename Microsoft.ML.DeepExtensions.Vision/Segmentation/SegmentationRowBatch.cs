using System.Numerics;
using System.Runtime.InteropServices;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Imaging;

namespace Microsoft.ML.DeepExtensions.Vision.Segmentation;

/// <summary>
/// A segmenter's work over a batch of rows: images in, class maps out. An unreadable image gets an empty class map
/// (no pixels) and a warning naming the row; the rest of the batch is labelled normally.
/// </summary>
internal sealed class SegmentationRowBatch : ImageRowBatch
{
    private readonly SemanticSegmenter _segmenter;
    private readonly SemanticSegmenter.Scorer _scorer;
    private readonly ClassMap?[] _results;
    private ClassMap[] _scored;

    public SegmentationRowBatch(SemanticSegmenter segmenter, DataViewRow row, int capacity, SemanticSegmenter.Scorer scorer)
        : base(row, segmenter.ImageColumnName, capacity)
    {
        _segmenter = segmenter;
        _scorer = scorer;
        _results = new ClassMap?[capacity];
        _scored = new ClassMap[capacity];
    }

    /// <summary>Each batch has its own scorer (input, logits, class map buffers) and the ONNX Runtime session is thread-safe,
    /// so one batch's model run goes on while the next batch is read and prepared, and the previous one finished.</summary>
    public override bool RunsAhead => true;

    public override void Compute(int rows)
    {
        Prepare(rows);
        Run(rows);
        Finish(rows);
    }

    /// <summary>The readable images into the network input.</summary>
    public override void Prepare(int rows)
    {
        CollectValid(rows);
        Array.Clear(_results, 0, rows);
        if (Valid.Count == 0)
            return;
        if (_scored.Length < Valid.Count)
            _scored = new ClassMap[Valid.Count];
        _scorer.Prepare(Valid);
    }

    /// <summary>The model.</summary>
    public override void Run(int rows)
    {
        if (Valid.Count > 0)
            _scorer.Run(_scored);
    }

    /// <summary>The logits into class maps at each image's size; warnings for the unreadable images.</summary>
    public override void Finish(int rows)
    {
        if (Valid.Count > 0)
        {
            _scorer.Finish(_scored);
            for (int i = 0; i < ValidSlots.Count; i++)
                _results[ValidSlots[i]] = _scored[i];
        }
        WarnAboutUnreadableImages(rows, _segmenter.Host, "Segment", "the row gets an empty class map");
    }

    public override Delegate CreateGetter(DataViewSchema.Column column)
    {
        if (column.Name == _segmenter.ClassMapColumnName)
        {
            return (ValueGetter<VBuffer<uint>>)((ref VBuffer<uint> dst) =>
            {
                var classes = _results[Current] is { } map ? map.Classes.Span : default;
                var editor = VBufferEditor.Create(ref dst, classes.Length);
                ToKeys(classes, editor.Values);
                dst = editor.Commit();
            });
        }
        if (column.Name == _segmenter.ProbabilitiesColumnName)
        {
            return (ValueGetter<VBuffer<float>>)((ref VBuffer<float> dst) =>
            {
                var values = _results[Current]?.Probabilities is { } planes ? planes.Span : default;
                var editor = VBufferEditor.Create(ref dst, values.Length);
                values.CopyTo(editor.Values);
                dst = editor.Commit();
            });
        }
        throw new ArgumentOutOfRangeException(nameof(column), $"'{column.Name}' is not a column of the segmenter.");
    }

    /// <summary>0-based class indices as ML.NET keys (1-based; 0 is the missing key), with SIMD: a photo's map is a few
    /// hundred thousand pixels, read once per row.</summary>
    internal static void ToKeys(ReadOnlySpan<int> classes, Span<uint> keys)
    {
        var destination = MemoryMarshal.Cast<uint, int>(keys);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var source = MemoryMarshal.Cast<int, Vector<int>>(classes);
            var target = MemoryMarshal.Cast<int, Vector<int>>(destination);
            for (int v = 0; v < source.Length; v++)
                target[v] = source[v] + Vector<int>.One;
            i = source.Length * Vector<int>.Count;
        }
        for (; i < classes.Length; i++)
            destination[i] = classes[i] + 1;
    }

    /// <summary>The scorer goes back to the segmenter's pool, for the next cursor.</summary>
    public override void Dispose()
    {
        _segmenter.Return(_scorer);
        base.Dispose();
    }
}
