using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Imaging;

namespace Microsoft.ML.DeepExtensions.Vision.Detection;

/// <summary>
/// A detector's work over a batch of rows: images in, detections out. Unreadable images get no detections and a warning.
/// </summary>
internal sealed class DetectionRowBatch : ImageRowBatch
{
    private readonly ObjectDetectionTransformer _detector;
    private readonly ObjectDetections[] _results;

    public DetectionRowBatch(ObjectDetectionTransformer detector, DataViewRow row, int capacity)
        : base(row, detector.ImageColumnName, capacity)
    {
        _detector = detector;
        _results = new ObjectDetections[capacity];
    }

    /// <summary>A detector scores with its own pooled buffers and a thread-safe session or a network in inference mode, so
    /// the batch may run on a worker while the next batch's images are read (decoded).</summary>
    public override bool RunsAhead => true;

    public override void Compute(int rows)
    {
        CollectValid(rows);
        for (int slot = 0; slot < rows; slot++)
        {
            if (!IsReadable(slot))
                _results[slot] = ObjectDetections.Empty;
        }
        if (Valid.Count > 0)
        {
            var detections = _detector.DetectChecked(Valid);
            for (int i = 0; i < ValidSlots.Count; i++)
                _results[ValidSlots[i]] = detections[i];
        }
        WarnAboutUnreadableImages(rows, _detector.Host, "Detect", "the row gets no detections");
    }

    public override Delegate CreateGetter(DataViewSchema.Column column) =>
        _detector.Columns.CreateGetter(column.Name, () => _results[Current]);
}
