using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Scoring;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeepExtensions.Vision.Imaging;

/// <summary>
/// A batch of rows whose input is one image column (one reused slot per row, as a plain ML.NET consumer reuses its getter's
/// destination). An image that cannot be read (missing, empty, or a getter that throws) is remembered with its reason, left
/// out of <see cref="Valid"/>, and reported by <see cref="WarnAboutUnreadableImages"/>; the rest of the batch goes on.
/// </summary>
internal abstract class ImageRowBatch : RowBatch
{
    private readonly DataViewRow _row;
    private readonly ValueGetter<MLImage> _getImage;
    private readonly MLImage?[] _images;
    private readonly string?[] _problems;
    private readonly long[] _positions;

    protected ImageRowBatch(DataViewRow row, string imageColumnName, int capacity)
        : base(capacity)
    {
        _row = row;
        ImageColumnName = imageColumnName;
        _getImage = row.GetGetter<MLImage>(row.Schema[imageColumnName]);
        _images = new MLImage?[capacity];
        _problems = new string?[capacity];
        _positions = new long[capacity];
        Valid = new List<MLImage>(capacity);
        ValidSlots = new List<int>(capacity);
    }

    protected string ImageColumnName { get; }

    /// <summary>The readable images of the batch (after <see cref="CollectValid"/>), in slot order.</summary>
    protected List<MLImage> Valid { get; }

    /// <summary>The slot of each image of <see cref="Valid"/>.</summary>
    protected List<int> ValidSlots { get; }

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

    /// <summary>Whether slot <paramref name="slot"/>'s image was read.</summary>
    protected bool IsReadable(int slot) => _problems[slot] is null;

    /// <summary>Fills <see cref="Valid"/> and <see cref="ValidSlots"/> with the readable images of slots 0 .. rows - 1.</summary>
    protected void CollectValid(int rows)
    {
        Valid.Clear();
        ValidSlots.Clear();
        for (int slot = 0; slot < rows; slot++)
        {
            if (_problems[slot] is null)
            {
                Valid.Add(_images[slot]!);
                ValidSlots.Add(slot);
            }
        }
    }

    /// <summary>One warning per unreadable image of slots 0 .. rows - 1, naming its row, the reason and <paramref name="consequence"/>.</summary>
    protected void WarnAboutUnreadableImages(int rows, IHost host, string channelName, string consequence)
    {
        if (ValidSlots.Count == rows)
            return;
        using var channel = host.Start(channelName);
        for (int slot = 0; slot < rows; slot++)
        {
            if (_problems[slot] is { } problem)
                channel.Warning(MessageSensitivity.None, $"Row {_positions[slot]}: image column '{ImageColumnName}' could not be read ({problem}); {consequence}.");
        }
    }
}
