using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Scoring;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeepExtensions.Vision.Detection;

/// <summary>
/// A detector's work over a batch of rows: images in (one reused slot per row, as a plain ML.NET consumer
/// reuses its getter's destination), detections out. Unreadable images get no detections and a warning.
/// </summary>
internal sealed class DetectionRowBatch : RowBatch
{
    private readonly ObjectDetectionTransformer _detector;
    private readonly DataViewRow _row;
    private readonly ValueGetter<MLImage> _getImage;
    private readonly MLImage?[] _images;
    private readonly string?[] _problems;
    private readonly long[] _positions;
    private readonly ObjectDetections[] _results;
    private readonly List<MLImage> _valid;
    private readonly List<int> _validSlots;

    public DetectionRowBatch(ObjectDetectionTransformer detector, DataViewRow row, int capacity)
        : base(capacity)
    {
        _detector = detector;
        _row = row;
        _getImage = row.GetGetter<MLImage>(row.Schema[detector.ImageColumnName]);
        _images = new MLImage?[capacity];
        _problems = new string?[capacity];
        _positions = new long[capacity];
        _results = new ObjectDetections[capacity];
        _valid = new List<MLImage>(capacity);
        _validSlots = new List<int>(capacity);
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
            if (_problems[slot] is null)
            {
                _valid.Add(_images[slot]!);
                _validSlots.Add(slot);
            }
            else
            {
                _results[slot] = ObjectDetections.Empty;
            }
        }
        if (_valid.Count > 0)
        {
            var detections = _detector.DetectChecked(_valid);
            for (int i = 0; i < _validSlots.Count; i++)
                _results[_validSlots[i]] = detections[i];
        }
        if (_validSlots.Count < rows)
            WarnAboutUnreadableImages(rows);
    }

    private void WarnAboutUnreadableImages(int rows)
    {
        using var channel = _detector.Host.Start("Detect");
        for (int slot = 0; slot < rows; slot++)
        {
            if (_problems[slot] is { } problem)
                channel.Warning(MessageSensitivity.None, $"Row {_positions[slot]}: image column '{_detector.ImageColumnName}' could not be read ({problem}); the row gets no detections.");
        }
    }

    public override Delegate CreateGetter(DataViewSchema.Column column) =>
        _detector.Columns.CreateGetter(column.Name, () => _results[Current]);
}
