using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Scoring;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeepExtensions.Vision.Segmentation;

/// <summary>
/// A segmenter's work over a batch of rows: images in, class maps out. An unreadable image gets an empty class map
/// (no pixels) and a warning naming the row; the rest of the batch is labelled normally.
/// </summary>
internal sealed class SegmentationRowBatch : RowBatch
{
    private readonly SemanticSegmenter _segmenter;
    private readonly DataViewRow _row;
    private readonly Action<List<MLImage>, ClassMap[]> _score;
    private readonly ValueGetter<MLImage> _getImage;
    private readonly MLImage?[] _images;
    private readonly string?[] _problems;
    private readonly long[] _positions;
    private readonly ClassMap?[] _results;
    private readonly List<MLImage> _valid;
    private readonly List<int> _validSlots;
    private ClassMap[] _scored;

    public SegmentationRowBatch(SemanticSegmenter segmenter, DataViewRow row, int capacity, Action<List<MLImage>, ClassMap[]> score)
        : base(capacity)
    {
        _segmenter = segmenter;
        _row = row;
        _score = score;
        _getImage = row.GetGetter<MLImage>(row.Schema[segmenter.ImageColumnName]);
        _images = new MLImage?[capacity];
        _problems = new string?[capacity];
        _positions = new long[capacity];
        _results = new ClassMap?[capacity];
        _valid = new List<MLImage>(capacity);
        _validSlots = new List<int>(capacity);
        _scored = new ClassMap[capacity];
    }

    public override void Read(int slot)
    {
        _positions[slot] = _row.Position;
        _problems[slot] = null;
        try
        {
            _getImage(ref _images[slot]!);
            var image = _images[slot];
            if (image is null)
                _problems[slot] = "the image is missing";
            else if (image.Width <= 0 || image.Height <= 0)
                _problems[slot] = $"the image is {image.Width}x{image.Height} pixels";
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            _images[slot] = null;
            _problems[slot] = ex.Message;
        }
    }

    public override void Compute(int rows)
    {
        _valid.Clear();
        _validSlots.Clear();
        for (int slot = 0; slot < rows; slot++)
        {
            _results[slot] = null;
            if (_problems[slot] is null)
            {
                _valid.Add(_images[slot]!);
                _validSlots.Add(slot);
            }
        }
        if (_valid.Count > 0)
        {
            if (_scored.Length < _valid.Count)
                _scored = new ClassMap[_valid.Count];
            _score(_valid, _scored);
            for (int i = 0; i < _validSlots.Count; i++)
                _results[_validSlots[i]] = _scored[i];
        }
        if (_validSlots.Count < rows)
        {
            using var channel = _segmenter.Host.Start("Segment");
            for (int slot = 0; slot < rows; slot++)
            {
                if (_problems[slot] is { } problem)
                    channel.Warning(MessageSensitivity.None, $"Row {_positions[slot]}: image column '{_segmenter.ImageColumnName}' could not be read ({problem}); the row gets an empty class map.");
            }
        }
    }

    public override Delegate CreateGetter(DataViewSchema.Column column)
    {
        if (column.Name == _segmenter.ClassMapColumnName)
        {
            return (ValueGetter<VBuffer<uint>>)((ref VBuffer<uint> dst) =>
            {
                var classes = _results[Current] is { } map ? map.Classes.Span : default;
                var editor = VBufferEditor.Create(ref dst, classes.Length);
                for (int i = 0; i < classes.Length; i++)
                    editor.Values[i] = (uint)classes[i] + 1;
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
}
