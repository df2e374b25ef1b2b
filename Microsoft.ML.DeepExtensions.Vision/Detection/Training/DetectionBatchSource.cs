using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Training;
using Microsoft.ML.DeepExtensions.Vision.Data.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.DeepExtensions.Vision.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Training;

/// <summary>
/// The detection data path: images and their objects out of an <see cref="IDataView"/> (ML.NET's detection
/// convention, <see cref="DetectionDataColumns"/>), letterboxed to the network's square size with the boxes
/// mapped, as <see cref="DetectionBatch"/>es on the training device.
/// </summary>
/// <remarks>
/// A first pass checks every row (<see cref="DetectionColumnsCheck.CheckRow"/>: labels and boxes of the same length,
/// keys in range, finite boxes with positive size inside the image) and, when the letterboxed images fit in <c>cacheLimitBytes</c> as 8-bit pixels, keeps
/// them, so later epochs decode nothing. Larger data is decoded again every epoch and shuffled through a pool of
/// at most that many bytes, so it trains in bounded memory. Rows whose image is missing are skipped and counted.
/// With a mask column (Mask R-CNN) every object must have an outline; its mask is rasterized at the image's size,
/// letterboxed with the image (bilinear, kept where at least half covered) and kept over the rectangle it spans, and
/// batches carry the masks at the batch's size.
/// </remarks>
internal sealed class DetectionBatchSource : IBatchSource<DetectionBatch>
{
    private readonly IDataView _data;
    private readonly DetectionDataColumns _columns;
    private readonly Device _device;
    private readonly long _cacheLimitBytes;
    private readonly string _role;
    private List<DetectionExample>? _cache;

    /// <param name="data">The rows.</param>
    /// <param name="columns">Its bound detection columns.</param>
    /// <param name="imageSize">The network's input side <c>S</c>: images are letterboxed to S x S.</param>
    /// <param name="device">Where batches go.</param>
    /// <param name="cacheLimitBytes">Letterboxed 8-bit images up to this size are kept between epochs.</param>
    /// <param name="role">What the data is for, as messages name it ("training", "validation").</param>
    public DetectionBatchSource(IDataView data, DetectionDataColumns columns, int imageSize, Device device, long cacheLimitBytes, string role)
    {
        _data = data;
        _columns = columns;
        ImageSize = imageSize;
        _device = device;
        _cacheLimitBytes = cacheLimitBytes;
        _role = role;
    }

    /// <summary>The letterboxed side <c>S</c>.</summary>
    public int ImageSize { get; }

    /// <summary>Images used (known after <see cref="Prepare"/>).</summary>
    public long RowCount { get; private set; }

    /// <summary>Rows skipped because their image was missing.</summary>
    public long SkippedRows { get; private set; }

    /// <summary>Objects over all used images.</summary>
    public long ObjectCount { get; private set; }

    /// <summary>True when the letterboxed images are held in memory between epochs.</summary>
    public bool IsCached => _cache is not null;

    private int BytesPerImage => 3 * ImageSize * ImageSize;

    /// <summary>First pass: checks every row, counts them, and caches the letterboxed images when they fit.</summary>
    /// <param name="cancellation">Checked between rows.</param>
    /// <param name="visitBoxes">Optional: sees each used image's object sizes (width, height in letterboxed pixels), e.g. to cluster anchors.</param>
    /// <param name="checkImage">Optional: sees each image's row (from 1), width and height before it is letterboxed, and throws to refuse it.</param>
    public void Prepare(CancellationToken cancellation, Action<float[]>? visitBoxes = null, Action<long, int, int>? checkImage = null)
    {
        var cache = new List<DetectionExample>();
        bool caching = true;
        long rows = 0, skipped = 0, objects = 0;
        foreach (var example in Read(cancellation, () => skipped++, checkImage))
        {
            rows++;
            objects += example.Classes.Length;
            visitBoxes?.Invoke(example.Boxes);
            if (!caching)
                continue;
            if (rows * BytesPerImage > _cacheLimitBytes)
            {
                caching = false;
                cache.Clear();
                continue;
            }
            cache.Add(example);
        }
        RowCount = rows;
        SkippedRows = skipped;
        ObjectCount = objects;
        if (rows == 0)
            throw new InvalidOperationException(skipped == 0
                ? $"The {_role} data is empty."
                : $"All {skipped} rows of the {_role} data have a missing image in column '{_columns.Image}'.");
        _cache = caching ? cache : null;
    }

    /// <summary>Every used image's objects, in row order (letterboxed pixels): the ground truth validation scores against.</summary>
    public IEnumerable<DetectionExample> Examples(CancellationToken cancellation) =>
        _cache ?? Read(cancellation, () => { });

    public IEnumerable<DetectionBatch> Batches(int batchSize, Random? shuffle, CancellationToken cancellation)
    {
        if (RowCount == 0)
            throw new InvalidOperationException("Prepare must run before Batches.");
        var pending = new List<DetectionExample>(batchSize);
        foreach (var example in _cache is null ? Streamed(shuffle, cancellation) : Shuffled(_cache, shuffle))
        {
            pending.Add(example);
            if (pending.Count == batchSize)
            {
                yield return ToBatch(pending);
                pending.Clear();
            }
        }
        if (pending.Count > 0)
            yield return ToBatch(pending);
    }

    private static IEnumerable<DetectionExample> Shuffled(List<DetectionExample> cache, Random? shuffle)
    {
        if (shuffle is null)
            return cache;
        var order = cache.ToArray();
        shuffle.Shuffle(order);
        return order;
    }

    /// <summary>Decodes the data again, shuffling through a bounded pool (a pass in order without a shuffle).</summary>
    private IEnumerable<DetectionExample> Streamed(Random? shuffle, CancellationToken cancellation)
    {
        int poolSize = shuffle is null ? 0 : (int)Math.Clamp(_cacheLimitBytes / BytesPerImage, 1, 1 << 16);
        var pool = new List<DetectionExample>(Math.Min(poolSize, 4096));
        foreach (var example in Read(cancellation, () => { }))
        {
            if (shuffle is null)
            {
                yield return example;
                continue;
            }
            if (pool.Count < poolSize)
            {
                pool.Add(example);
                continue;
            }
            int pick = shuffle.Next(pool.Count);
            yield return pool[pick];
            pool[pick] = example;
        }
        while (pool.Count > 0)
        {
            int pick = shuffle!.Next(pool.Count);
            yield return pool[pick];
            pool[pick] = pool[^1];
            pool.RemoveAt(pool.Count - 1);
        }
    }

    private DetectionBatch ToBatch(List<DetectionExample> examples)
    {
        int n = examples.Count, plane = BytesPerImage;
        var pixels = new byte[(long)n * plane];
        int objects = examples.Sum(e => e.Classes.Length);
        var targets = new float[objects * 6];
        int side = ImageSize;
        var masks = _columns.Masks is null ? null : new byte[(long)objects * side * side];
        for (int i = 0, t = 0; i < n; i++)
        {
            var example = examples[i];
            example.Pixels.CopyTo(pixels, (long)i * plane);
            for (int k = 0; k < example.Classes.Length; k++, t++)
            {
                targets[6 * t] = i;
                targets[6 * t + 1] = example.Classes[k];
                example.Boxes.AsSpan(4 * k, 4).CopyTo(targets.AsSpan(6 * t + 2, 4));
                if (masks is not null)
                {
                    var mask = example.Masks![k];
                    var source = mask.Pixels.Span;
                    for (int y = 0; y < mask.Height; y++)
                        source.Slice(y * mask.Width, mask.Width).CopyTo(masks.AsSpan((int)((long)t * side * side + (long)(mask.Top + y) * side + mask.Left), mask.Width));
                }
            }
        }
        // Bytes travel to the device (a quarter of the floats' traffic) and become [0, 1] floats there. torch.tensor
        // copies: the arrays are this call's, and a tensor sharing them would outlive them in the caller's scope.
        var images = torch.tensor(pixels, new long[] { n, 3, ImageSize, ImageSize }).to(_device).to_type(ScalarType.Float32).div_(255f);
        var targetTensor = torch.tensor(targets, new long[] { objects, 6 }).to(_device);
        var maskTensor = masks is null ? null : torch.tensor(masks, new long[] { objects, side, side }).to(_device);
        return new DetectionBatch(images, targetTensor, n, maskTensor);
    }

    /// <summary>Reads, checks and letterboxes the rows in order; a row with a missing image calls <paramref name="skipped"/>.</summary>
    private IEnumerable<DetectionExample> Read(CancellationToken cancellation, Action skipped, Action<long, int, int>? checkImage = null)
    {
        var schema = _data.Schema;
        var needed = new List<DataViewSchema.Column> { schema[_columns.Image], schema[_columns.Label], schema[_columns.Box] };
        if (_columns.Masks is { } masksName)
            needed.Add(schema[masksName]);
        using var cursor = _data.GetRowCursor(needed);
        var getImage = cursor.GetGetter<MLImage?>(schema[_columns.Image]);
        var getLabel = cursor.GetGetter<VBuffer<uint>>(schema[_columns.Label]);
        var getBox = cursor.GetGetter<VBuffer<float>>(schema[_columns.Box]);
        var getMasks = _columns.Masks is { } maskColumn ? cursor.GetGetter<VBuffer<float>>(schema[maskColumn]) : null;
        MLImage? image = null;
        VBuffer<uint> labels = default;
        VBuffer<float> boxes = default;
        VBuffer<float> outlines = default;
        long row = 0;
        while (cursor.MoveNext())
        {
            row++;
            if ((row & 63) == 0)
                cancellation.ThrowIfCancellationRequested();
            try
            {
                getImage(ref image);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new InvalidOperationException($"Row {row} of the {_role} data: the image in column '{_columns.Image}' could not be read: {ex.Message}", ex);
            }
            if (image is null)
            {
                skipped();
                continue;
            }
            checkImage?.Invoke(row, image.Width, image.Height);
            getLabel(ref labels);
            getBox(ref boxes);
            DetectionExample example;
            try
            {
                var objects = Objects(row, labels, boxes, image.Width, image.Height);
                InstanceMask[]? masks = null;
                if (getMasks is not null)
                {
                    getMasks(ref outlines);
                    masks = Masks(row, outlines, objects, image.Width, image.Height);
                }
                example = Letterbox(image, objects, masks);
            }
            finally
            {
                // Image columns decode a new image per read (LoadImages, DetectionDataView): only its letterbox is kept.
                image.Dispose();
                image = null;
            }
            yield return example;
        }
    }

    /// <summary>The row's objects, checked by <see cref="DetectionColumnsCheck.CheckRow"/> (boxes clipped within its tolerance).</summary>
    private (int[] Classes, float[] Boxes) Objects(long row, VBuffer<uint> labels, VBuffer<float> boxes, int width, int height)
    {
        DetectionObject[] objects;
        try
        {
            objects = DetectionColumnsCheck.CheckRow(row, labels.DenseValues().ToArray(), boxes.DenseValues().ToArray(), ReadOnlySpan<bool>.Empty,
                _columns.ClassCount, width, height, _columns.Label, _columns.Box);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"The {_role} data: {ex.Message}", ex);
        }
        var classes = objects.Select(o => o.ClassIndex).ToArray();
        var values = objects.SelectMany(o => new[] { o.X0, o.Y0, o.X1, o.Y1 }).ToArray();
        return (classes, values);
    }

    /// <summary>
    /// The row's object masks at the image's size; every object must have an outline when the detector learns masks,
    /// otherwise (copy-paste only) an object without one is its box.
    /// </summary>
    private InstanceMask[] Masks(long row, VBuffer<float> outlines, (int[] Classes, float[] Boxes) objects, int width, int height)
    {
        int objectCount = objects.Classes.Length;
        ObjectSegmentation?[] segmentations;
        try
        {
            segmentations = SegmentationColumn.Decode(outlines.DenseValues().ToArray(), objectCount, width, height);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"The {_role} data: row {row}: column '{_columns.Masks}': {ex.Message}", ex);
        }
        var masks = new InstanceMask[objectCount];
        for (int k = 0; k < objectCount; k++)
        {
            masks[k] = segmentations[k]?.ToMask(width, height)
                ?? (_columns.OutlinesRequired ? null : BoxMask(objects.Boxes.AsSpan(4 * k, 4), width, height))
                ?? throw new InvalidDataException($"The {_role} data: row {row}: object {k} has no outline in column '{_columns.Masks}'; a detector that learns masks needs one for every object (COCO annotations with 'segmentation').");
        }
        return masks;
    }

    /// <summary>The pixels whose centres lie inside the box x0 y0 x1 y1, as a mask (an object without an outline).</summary>
    private static InstanceMask BoxMask(ReadOnlySpan<float> box, int width, int height)
    {
        int left = Math.Clamp((int)MathF.Round(box[0]), 0, width - 1), top = Math.Clamp((int)MathF.Round(box[1]), 0, height - 1);
        int right = Math.Clamp((int)MathF.Round(box[2]), left + 1, width), bottom = Math.Clamp((int)MathF.Round(box[3]), top + 1, height);
        var pixels = new byte[(right - left) * (bottom - top)];
        Array.Fill(pixels, (byte)1);
        return new InstanceMask(left, top, right - left, bottom - top, pixels);
    }

    /// <summary>Full-image masks letterboxed with the image, each kept over the rectangle its pixels span.</summary>
    private InstanceMask[] LetterboxMasks(ImageResizeMapping mapping, InstanceMask[] masks)
    {
        if (masks.Length == 0)
            return masks;
        using var scope = torch.NewDisposeScope();
        int width = mapping.SourceWidth, height = mapping.SourceHeight;
        var pixels = new byte[(long)masks.Length * width * height];
        for (int k = 0; k < masks.Length; k++)
            masks[k].Pixels.Span.CopyTo(pixels.AsSpan(k * width * height));
        var full = torch.tensor(pixels, new long[] { masks.Length, height, width }).to(ScalarType.Float32);
        var letterboxed = (mapping.MasksToTarget(full) >= 0.5f).to(ScalarType.Byte);
        var result = new InstanceMask[masks.Length];
        for (int k = 0; k < masks.Length; k++)
        {
            var rows = letterboxed[k].any(1).nonzero();
            var columns = letterboxed[k].any(0).nonzero();
            if (rows.shape[0] == 0)
            {
                result[k] = new InstanceMask(0, 0, 0, 0, Array.Empty<byte>());
                continue;
            }
            int top = (int)rows[0, 0].item<long>(), bottom = (int)rows[-1, 0].item<long>() + 1;
            int left = (int)columns[0, 0].item<long>(), right = (int)columns[-1, 0].item<long>() + 1;
            var crop = letterboxed[k, top..bottom, left..right].contiguous().data<byte>().ToArray();
            result[k] = new InstanceMask(left, top, right - left, bottom - top, crop);
        }
        return result;
    }

    private DetectionExample Letterbox(MLImage image, (int[] Classes, float[] Boxes) objects, InstanceMask[]? masks)
    {
        var mapping = ImageResizeMapping.Letterbox(image.Width, image.Height, ImageSize, ImageSize);
        var pixels = new byte[BytesPerImage];
        if (image.Width == ImageSize && image.Height == ImageSize)
        {
            ImagePlanes.WriteRgbBytes(image, pixels);
        }
        else
        {
            using var resized = mapping.Apply(image);
            ImagePlanes.WriteRgbBytes(resized, pixels);
        }
        var boxes = objects.Boxes;
        for (int k = 0; k < boxes.Length; k += 4)
        {
            boxes[k] = (float)(boxes[k] * mapping.ScaleX + mapping.PadLeft);
            boxes[k + 1] = (float)(boxes[k + 1] * mapping.ScaleY + mapping.PadTop);
            boxes[k + 2] = (float)(boxes[k + 2] * mapping.ScaleX + mapping.PadLeft);
            boxes[k + 3] = (float)(boxes[k + 3] * mapping.ScaleY + mapping.PadTop);
        }
        return new DetectionExample(pixels, objects.Classes, boxes, masks is null ? null : LetterboxMasks(mapping, masks));
    }
}
